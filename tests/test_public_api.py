"""The names users and other code depend on. Changing them is a decision, not an accident."""

from __future__ import annotations
import __future__

import subprocess
import sys
import types

import impulator
from impulator import api, batch, chem, exports, hub, pipeline, science, sources, store, teach, ui

EXPECTED = {
    api: {"ApiRequestError", "ApiSettings", "Client", "create_app", "serve"},
    teach: {
        "PublishedFile",
        "fetch",
        "gitpuller_link",
        "install_examples",
        "prepare_home",
        "publish",
        "templates_dir",
    },
    hub: {
        "API_SERVICE",
        "api_service",
        "CUSTOM_SCOPES",
        "DASHBOARD_GROUP",
        "GATEWAY_SERVICE",
        "IDLE_CULLER_ROLE",
        "PASSED_ON",
        "PageKernelClient",
        "PrepareHome",
        "ROLES",
        "ROLE_GROUPS",
        "SERVER_TOKEN_SCOPES",
        "VOILA_HOME",
        "WarmKernelManager",
        "base_environment",
        "cache_extension_files",
        "configure",
        "configure_oidc",
        "external_gateway_service",
        "gateway_environment",
        "gateway_service",
        "idle_culler_service",
        "make_pre_spawn_hook",
        "map_oidc_groups",
        "platform_role",
        "runner_service",
        "serve_ngl_viewer",
        "serve_plotly_widget",
        "set_page_xsrf_cookie",
        "share_compiled_templates",
        "trim_page_extensions",
        "user_database_url",
    },
    exports: {
        "ACTIVITY_ID_COLUMNS",
        "COMPOUND_COLUMNS",
        "CompoundNotFound",
        "ExportFile",
        "ExportFormat",
        "FORMATS",
        "PROTOTYPE_EXTRA_COLUMNS",
        "SDF_FIELDS",
        "activities_table",
        "compound_report_pdf",
        "compounds_csv",
        "compounds_excel",
        "compounds_sdf",
        "compounds_table",
        "export_file",
        "prototype_csv",
        "prototype_table",
    },
    ui: {
        "HomePage",
        "HomeSummary",
        "export_panel",
        "show_analytics",
        "show_analyze",
        "show_batch",
        "show_compound",
        "show_explorer",
        "show_home",
        "show_jobs",
        "show_structure",
        "summarize_home",
        "warm_up_pages",
    },
    impulator: {
        "ImpulatorError",
        "InvalidStructure",
        "Report",
        "SourceError",
        "SourceUnavailable",
        "UnknownCompound",
        "__version__",
        "analyze",
        "chem",
        "science",
    },
    chem: {
        "DrugLikenessRule",
        "drug_likeness",
        "embed_3d",
        "DESCRIPTOR_NAMES",
        "DESCRIPTOR_RULE",
        "neutralize_oxo_ylides",
        "FLAG_NAMES",
        "SCORED_FLAGS",
        "AlertMatch",
        "InterferenceFlags",
        "Structure",
        "alert_provenance",
        "as_structure",
        "depict_svg",
        "descriptors",
        "interference_flags",
        "mol_wt",
        "qed",
        "standardize",
    },
    science: {
        "ACTIVITY_COLUMNS",
        "BANDS",
        "CLASS_COLOURS",
        "COHORT_METRICS",
        "COMPONENTS",
        "CurationMode",
        "CURATION_MODES",
        "DEFAULT_ACTIVITY_TYPES",
        "DEFAULT_MODEL",
        "INDEX_NAMES",
        "MODELS",
        "STRONG_CLASSES",
        "UNIT_FACTORS",
        "Curation",
        "PdbEvidence",
        "ScoringModel",
        "add_cohort_statistics",
        "add_efficiency_indices",
        "add_imp_confidence",
        "add_planes",
        "angle_label",
        "angle_score",
        "classify",
        "curate_activities",
        "distance_score",
        "efficiency_indices",
        "evaluate_cohort",
        "get_model",
        "imp_confidence",
        "interference_score",
        "iqr_outliers",
        "normalised_efficiency",
        "pactivity",
        "pdb_evidence",
        "pdb_score",
        "plane_geometry",
        "resolution_bin",
        "score_cohort",
        "score_components",
        "to_nanomolar",
        "zscores",
    },
    sources: {
        "ACTIVITY_RECORD_COLUMNS",
        "MOLECULE_COLUMNS",
        "SIMILARITY_COLUMNS",
        "BioactivitySource",
        "CcdPdbSource",
        "ChemblDatabase",
        "ChemblWebSource",
        "CompoundRecord",
        "PdbEntry",
        "PdbLookup",
        "PdbSource",
        "RcsbWebSource",
        "SimilarityIndex",
        "WwpdbIndexSource",
        "default_index_path",
        "uses_demo",
        "ensure_demo",
        "open_pdb_source",
        "open_source",
        "probe_thresholds",
    },
    pipeline: {
        "ANALYZE_OPTIONS",
        "AnalyzeOptions",
        "MAX_SIMILARITY",
        "MIN_SIMILARITY",
        "PROTOTYPE_COLUMNS",
        "RESULT_COLUMNS",
        "Report",
        "StructureCache",
        "analyze",
        "best_class",
        "best_row",
        "best_rows",
        "default_name",
        "json_ready",
        "probe",
        "read_query",
        "structure_profile",
        "use_structure_cache",
    },
    batch: {
        "SDF_SUFFIXES",
        "Record",
        "decode",
        "read_sdf",
        "read_table",
        "sniff_delimiter",
        "validate",
        "ALIASES",
        "KINDS",
        "BatchInput",
        "BatchRow",
        "BatchTooLarge",
        "ChunkResult",
        "RowError",
        "Upload",
        "chunk_size_for",
        "chunked",
        "open_client",
        "read_batch",
        "read_upload",
        "row_key",
        "score",
        "score_chunk",
    },
    store: {
        "AuditEntry",
        "Base",
        "Compound",
        "CompoundNotFound",
        "CompoundPage",
        "CompoundShare",
        "Export",
        "GROUP_ROLES",
        "Group",
        "GroupMembership",
        "InterferenceRecord",
        "JOB_STATUSES",
        "Job",
        "JobState",
        "MIGRATIONS",
        "Organization",
        "PdbEvidenceRecord",
        "PublishedNotebook",
        "PermissionDenied",
        "ROLES",
        "ResultRow",
        "StoreUnavailable",
        "StoredCompound",
        "TENANT_TABLES",
        "User",
        "alembic_config",
        "analytics",
        "can_write",
        "check_role_name",
        "Tx",
        "engine_for",
        "transaction",
        "save_report",
        "FLAG_COLUMNS",
        "SCORE_BINS",
        "STRONG_CLASSES",
        "TARGET_COLUMNS",
        "UNSCORED",
        "flag_prevalence",
        "flagged_compounds",
        "target_summary",
        "DISTRIBUTION_METRICS",
        "TREND_PERIODS",
        "distribution",
        "trends",
        "FILTERS",
        "SORT_KEYS",
        "Identity",
        "groups",
        "whoami",
        "connect",
        "current_revision",
        "database_url",
        "delete",
        "downgrade",
        "get",
        "get_many",
        "head_revision",
        "job_rows",
        "list_compounds",
        "PreparedReport",
        "prepare_report",
        "save_many",
        "provision_api",
        "provision_runner",
        "provision_user",
        "acting_as",
        "ApiRateCount",
        "redact",
        "save",
        "scram_verifier",
        "search",
        "share",
        "unshare",
        "upgrade",
    },
}


# Old names kept working as aliases, out of ``__all__`` (they would shadow the built-in).
OLD_NAMES: dict[types.ModuleType, set[str]] = {store: {"list"}}


def test_old_list_names_still_work() -> None:
    from impulator import jobs

    assert store.list is store.list_compounds
    assert jobs.list is jobs.list_jobs
    assert "list" not in store.__all__ and "list" not in jobs.__all__
    assert "list_jobs" in jobs.__all__


def test_exported_names() -> None:
    for module, names in EXPECTED.items():
        assert set(module.__all__) == names, module.__name__
        for name in names:
            assert hasattr(module, name), f"{module.__name__}.{name}"


def test_no_accidental_public_names() -> None:
    """Everything public is in __all__; the rest lives in private modules."""
    for module in EXPECTED:
        # Submodules (impulator.cli, ...) become attributes once imported: not exports; nor
        # is ``from __future__ import annotations``.
        public = {
            n
            for n in dir(module)
            if not n.startswith("_")
            and not isinstance(getattr(module, n), types.ModuleType | __future__._Feature)
        }
        assert public - OLD_NAMES.get(module, set()) <= set(module.__all__), module.__name__


def test_invalid_structure_is_a_value_error() -> None:
    assert issubclass(impulator.InvalidStructure, ValueError)


def test_pure_core_imports_no_io_layers() -> None:
    """chem and science do no I/O: importing them loads no database or network library."""
    code = (
        "import sys, impulator.chem, impulator.science; "
        "bad = {'sqlalchemy', 'requests', 'httpx', 'psycopg', 'FPSim2', 'tables', "
        "'chembl_webresource_client'} & set(sys.modules); print(sorted(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_analyze_is_importable_from_the_top() -> None:
    from impulator.pipeline import Report, analyze

    assert impulator.analyze is analyze and impulator.Report is Report


def test_store_errors_are_the_usual_kinds() -> None:
    assert issubclass(store.PermissionDenied, PermissionError)
    assert issubclass(store.StoreUnavailable, RuntimeError)
    assert issubclass(store.CompoundNotFound, LookupError)
    assert store.list_compounds.__name__ == "list_compounds"


def test_io_subpackages_load_on_first_use_after_a_plain_import() -> None:
    import importlib

    import impulator

    for name in ("batch", "exports", "jobs", "pipeline", "sources", "store", "ui"):
        assert getattr(impulator, name) is importlib.import_module(f"impulator.{name}")
    assert "jobs" not in impulator.__all__  # reachable, not star-exported
