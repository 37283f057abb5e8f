# One image for impulator on Kubernetes: JupyterHub (z2jh's hub runs our extraConfig), user
# servers, Dask Gateway schedulers and workers, the job runner and the chart's Jobs.
#   docker build -t ghcr.io/impulator/impulator:0.1.0 .
# Python pinned by version and Debian release; the tag in helm/impulator/values.yaml follows.
FROM python:3.11.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    LANG=C.UTF-8 \
    IMPULATOR_DATA_DIR=/data/chembl

# curl for the ChEMBL dump Job; libcurl for pycurl (z2jh's hub HTTP client); tini as PID 1.
RUN apt-get update \
 && apt-get install -y --no-install-recommends curl tini libcurl4 libcurl4-openssl-dev gcc libc6-dev \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /opt/impulator
COPY pyproject.toml README.md NOTICE.md ./
COPY kernel_pkg ./kernel_pkg
# The extras of pyproject that the servers need (not dev); z2jh's hub needs KubeSpawner and pycurl.
RUN pip install ".[hub,dashboards]" "jupyterhub-kubespawner==7.1.0" "pycurl==7.45.6" \
 && apt-get purge -y gcc libc6-dev libcurl4-openssl-dev && apt-get autoremove -y

# The Voila template and its server settings, and the dashboards users land on.
COPY share/jupyter /usr/local/share/jupyter
COPY etc/jupyter /usr/local/etc/jupyter
COPY dashboards /opt/impulator/dashboards

# Non-root: z2jh's and the gateway's defaults (uid 1000); writable places are volumes.
RUN useradd --create-home --uid 1000 --gid 100 jovyan \
 && mkdir -p /data/chembl && chown 1000:100 /data/chembl
USER 1000
WORKDIR /home/jovyan
ENTRYPOINT ["tini", "--"]
CMD ["jupyterhub-singleuser"]
