"""Loading the files on disk at start, without overriding what a process owner deployed (README.md).

The files in ``bpmn/``, ``dmn/`` and ``bpmn/forms/`` are the source people edit in git; the API lets a
process owner deploy too. The rule: a process's disk content is stored and made current unless the
current version was made current through the API and the file does not descend from it. A file
descends from that version when it has been on disk before (it was loaded, or matched, at an earlier
start) or when it names it with the process property ``basedOnVersion``. Otherwise the file is
reported in ``load_errors`` and nothing is deployed.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from .errors import ProcessDefinitionError
from .models import DefinitionFile, DeploymentEvent, DiskState, ProcessVersion, utcnow

OWNER_SOURCES = frozenset({"api", "modeller"})  # a process owner's deployments: disk never replaces them

if TYPE_CHECKING:
    from .library import BuiltProcess, ProcessLibrary


def sync_from_disk(library: ProcessLibrary, actor: str | None = None) -> list[ProcessVersion]:
    """Store every process in ``bpmn/`` (with its decisions, forms and configuration) as a version if
    new, following the rule in README.md: disk content never silently replaces a version that a
    process owner deployed through the API; such a file is reported in ``load_errors`` instead."""
    bpmn, dmn, forms, config = library.disk_files()
    library.load_errors = []
    try:
        built, files = library.build(bpmn, dmn, forms, config)
    except ProcessDefinitionError:
        # One bad file must not keep the good ones (or the service) from starting.
        built, files = _build_each(library, bpmn, dmn, forms, config)
    versions: list[ProcessVersion] = []
    with library.db.transaction() as session:
        for proc in built:
            found = _sync_one(library, session, proc, files, actor)
            if found is not None:
                versions.append(found)
    return versions


def _build_each(library: ProcessLibrary, bpmn: dict[str, str], dmn: dict[str, str], forms: dict[str, str] | None,
                config: dict[str, str]) -> tuple[list[BuiltProcess], dict[str, DefinitionFile]]:
    good_dmn = {}
    for name, text in dmn.items():
        try:
            library.build({}, {name: text}, forms, config)
            good_dmn[name] = text
        except ProcessDefinitionError as exc:
            library.record_load_error(exc.to_dict())
    built: list[BuiltProcess] = []
    files: dict[str, DefinitionFile] = {}
    for name, text in bpmn.items():
        try:
            more, more_files = library.build({name: text}, good_dmn, forms, config)
        except ProcessDefinitionError as exc:
            library.record_load_error(exc.to_dict())
            continue
        built.extend(more)
        files.update(more_files)
    return built, files


def _sync_one(library: ProcessLibrary, session: Session, proc: BuiltProcess, files: dict[str, DefinitionFile],
              actor: str | None) -> ProcessVersion | None:
    current = library.current(session, proc.process_id)
    disk = session.get(DiskState, proc.process_id)
    if current is not None and not _descends(session, proc, current, disk):
        library.record_load_error({
            "error": "not_loaded", "file": proc.filename, "element": proc.process_id,
            "message": f"{proc.filename} (with the tables, forms and configuration it uses) does not descend "
                       f"from version {current.version} of '{proc.process_id}', which "
                       f"{current.created_by or 'a process owner'} deployed through the API; it was not loaded. "
                       f"Take that version into the repository (or set the process property "
                       f"basedOnVersion={current.version} on the edited file)."})
        return None
    version = library.store_built(session, proc, files, actor=actor, deploy=True, origin="disk")
    if disk is None:
        session.add(DiskState(process_id=proc.process_id, version_id=version.id, synced_at=utcnow()))
    elif disk.version_id != version.id:
        disk.version_id, disk.synced_at = version.id, utcnow()
    return version


def _descends(session: Session, proc: BuiltProcess, current: ProcessVersion, disk: DiskState | None) -> bool:
    """May the disk content ``proc`` become current over ``current``?"""
    if current.content_hash == proc.content_hash or not _made_current_by_api(session, current):
        return True  # the same content, or the disk is the source (nobody deployed through the API since)
    if disk is not None and disk.version_id == current.id:
        return True  # the files were at the deployed version at an earlier start and were edited from it
    based_on = (proc.element_properties.get(proc.process_id) or {}).get("basedOnVersion")
    return based_on is not None and str(based_on).strip() == str(current.version)


def _made_current_by_api(session: Session, version: ProcessVersion) -> bool:
    """Whether a process owner made ``version`` current through the API or the modeller (its latest
    deployment event)."""
    event = session.scalars(select(DeploymentEvent).where(DeploymentEvent.process_id == version.process_id)
                            .order_by(DeploymentEvent.at.desc(), DeploymentEvent.id.desc()).limit(1)).first()
    if event is None:
        return version.origin in OWNER_SOURCES
    return event.version_id == version.id and (event.data or {}).get("source") in OWNER_SOURCES
