"""Call activities to a process deployed on its own, and which version of it a call runs.

A caller validates and deploys alone: a called process that is not among the files sent is read
from the deployed versions. Which one is the process owner's choice, written on the call activity
as in Camunda (``camunda:calledElementBinding``, or a ``spiffworkflow:property`` of that name):

* ``latest`` (the default): the callee's newest deployed version. Deploying a new callee gives every
  caller bound this way a new version too, so cases started afterwards call it; running cases keep
  the version they started with, like everything else a version pins (DESIGN.md decision 6).
* ``deployment``: the callee version that was current when the caller was deployed; a later callee
  does not reach it until the caller is deployed again.
* ``version`` with ``camunda:calledElementVersion`` (or property ``calledElementVersion``): that
  version number of the callee, always.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import Session

from .errors import ProcessDefinitionError
from .models import DefinitionFile, ProcessVersion

if TYPE_CHECKING:
    from .library import ProcessLibrary

BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
CAMUNDA = "{http://camunda.org/schema/1.0/bpmn}"
SPIFF = "{http://spiffworkflow.org/bpmn/schema/1.0/core}"
BINDINGS = ("latest", "deployment", "version")


def calls(root: etree._Element) -> list[tuple[etree._Element, str, str, str | None]]:
    """Each call activity: (element, called process id, binding, pinned version or None)."""
    found = []
    for el in root.iter(f"{BPMN}callActivity"):
        props = {p.get("name"): p.get("value") for p in el.iter(f"{SPIFF}property")}
        binding = (el.get(f"{CAMUNDA}calledElementBinding") or props.get("calledElementBinding") or "latest").strip()
        version = el.get(f"{CAMUNDA}calledElementVersion") or props.get("calledElementVersion")
        found.append((el, (el.get("calledElement") or "").strip(), binding, version))
    return found


def check_bindings(root: etree._Element, filename: str) -> None:
    for el, _, binding, version in calls(root):
        if binding not in BINDINGS:
            raise ProcessDefinitionError(
                f"Call activity '{el.get('id')}' has calledElementBinding '{binding}'; use latest, deployment or "
                f"version", file=filename, element=el.get("id"), line=el.sourceline)
        if binding == "version" and not (version or "").strip().isdigit():
            raise ProcessDefinitionError(
                f"Call activity '{el.get('id')}' is bound to a version but names none: set calledElementVersion "
                f"to the callee's version number", file=filename, element=el.get("id"), line=el.sourceline)


class CalleeFiles:
    """Finds, inside one transaction, the deployed files of processes that the files being built call."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def missing(self, parser: Any, roots: dict[str, etree._Element]) -> dict[str, str]:
        defined = set(parser.process_parsers)
        wanted: dict[str, tuple[str, str | None, etree._Element, str]] = {}
        for filename, root in roots.items():
            check_bindings(root, filename)
            for el, called, binding, version in calls(root):
                if called and called not in defined and called not in wanted:
                    wanted[called] = (binding, version, el, filename)
        out: dict[str, str] = {}
        for called, (binding, version, el, filename) in wanted.items():
            found = self._version(called, binding, version)
            if found is None:
                what = f"version {version} of process '{called}'" if binding == "version" else f"process '{called}'"
                raise ProcessDefinitionError(
                    f"Call activity '{el.get('id')}' calls {what}, which is neither in the files sent nor deployed",
                    file=filename, element=el.get("id"), line=el.sourceline)
            for digest in found.bpmn_hashes:
                stored = self.session.get(DefinitionFile, digest)
                if stored is not None and stored.filename not in roots and stored.filename not in out:
                    out[stored.filename] = stored.content
        return out

    def _version(self, process_id: str, binding: str, version: str | None) -> ProcessVersion | None:
        query = select(ProcessVersion).where(ProcessVersion.process_id == process_id)
        if binding == "version":
            query = query.where(ProcessVersion.version == int(version or 0))
        else:
            query = query.where(ProcessVersion.deployed.is_(True))
        return self.session.scalars(query.order_by(ProcessVersion.version.desc()).limit(1)).first()


def callers_to_refresh(session: Session, changed: set[str]) -> list[ProcessVersion]:
    """The newest deployed version of each process that calls one of ``changed`` with ``latest`` binding."""
    latest: dict[str, ProcessVersion] = {}
    for row in session.scalars(select(ProcessVersion).where(ProcessVersion.deployed.is_(True))
                               .order_by(ProcessVersion.process_id, ProcessVersion.version.desc())):
        latest.setdefault(row.process_id, row)
    out = []
    for version in latest.values():
        if version.process_id in changed:
            continue
        stored = session.get(DefinitionFile, version.bpmn_hash)
        if stored is None:
            continue
        root = etree.fromstring(stored.content.encode("utf-8"), _quiet_parser())
        if any(called in changed and binding == "latest" for _, called, binding, _ in calls(root)):
            out.append(version)
    return out


def refresh_callers(session: Session, library: ProcessLibrary, changed: set[str], actor: str | None) -> list[Any]:
    """Give each caller bound to the ``latest`` of a changed process a new version that calls the new one."""
    refreshed: list[Any] = []
    seen: set[str] = set(changed)
    todo = callers_to_refresh(session, changed)
    while todo:
        version = todo.pop(0)
        if version.process_id in seen:
            continue
        seen.add(version.process_id)
        main = session.get(DefinitionFile, version.bpmn_hash)
        if main is None:
            continue
        dmn = {}
        for digest in set((version.dmn_hashes or {}).values()):
            stored = session.get(DefinitionFile, digest)
            if stored is not None:
                dmn[stored.filename] = stored.content
        for new in library.store(session, {main.filename: main.content}, dmn, actor=actor, deploy=True,
                                 callees=CalleeFiles(session)):
            if new.process_id == version.process_id and new.id != version.id:
                refreshed.append(new)
                todo.extend(callers_to_refresh(session, {new.process_id}))
    return refreshed


def check_ids_against_deployed(session: Session, bpmn_files: dict[str, str]) -> None:
    """Refuse files whose process or sub-process ids another deployed diagram already uses (a copied
    sub-process keeps its id): parsed together later, SpiffWorkflow would keep only one of them.
    A new version of a deployed process (same process id, or same file name) replaces it."""
    from .drawn import check_unique_ids

    new_roots: dict[str, etree._Element] = {}
    for name, text in bpmn_files.items():
        try:
            new_roots[name] = etree.fromstring(text.encode("utf-8"), _quiet_parser())
        except etree.XMLSyntaxError:
            return  # the build reports it with its line
    replaced = {pid for root in new_roots.values() for pid in _process_ids(root)}
    latest: dict[str, ProcessVersion] = {}
    for row in session.scalars(select(ProcessVersion).where(ProcessVersion.deployed.is_(True))
                               .order_by(ProcessVersion.process_id, ProcessVersion.version.desc())):
        latest.setdefault(row.process_id, row)
    others: dict[str, etree._Element] = {}
    for version in latest.values():
        if version.process_id in replaced:
            continue
        for digest in version.bpmn_hashes:
            stored = session.get(DefinitionFile, digest)
            if stored is None or stored.filename in bpmn_files or stored.filename in others:
                continue
            root = etree.fromstring(stored.content.encode("utf-8"), _quiet_parser())
            if not replaced & set(_process_ids(root)):
                others[stored.filename] = root
    if others:
        check_unique_ids(new_roots, others)


def _process_ids(root: etree._Element) -> list[str]:
    return [p.get("id") for p in root.iter(f"{BPMN}process") if p.get("id")]


def _quiet_parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
