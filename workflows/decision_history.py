"""Every decision across all cases, for quality leads: which table and version decided, on what
inputs, by which rules, with what result; counts per rule; and which cases were decided under a
rule that has since been changed (or removed) in the newest version of its table.

A decision row names the DMN file it used when the runtime records it (``table_hash``); otherwise
the case's process version pins it (``ProcessVersion.dmn_hashes``). A rule is "changed" when its
cells (input and output entries) differ between that file and the newest file of the table, or it
is gone; rules are matched by their id, or by their number when they have none.
"""
from __future__ import annotations

import functools
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import String, cast, select
from sqlalchemy.orm import Session

from .errors import NotFound
from .library import ProcessLibrary, parse_xml
from .models import DecisionLog, DefinitionFile, Instance, ProcessVersion
from .queries import iso

MAX_ROWS = 5000


@dataclass
class DecisionFilter:
    decision_id: str | None = None
    output: str | None = None  # text the result contains (e.g. URGENT)
    rule: str | None = None  # a rule's number or id
    since: datetime | None = None
    until: datetime | None = None
    changed_only: bool = False
    limit: int = 200


def _local(tag: Any) -> str:
    return tag.split("}", 1)[-1] if isinstance(tag, str) else ""


@functools.lru_cache(maxsize=256)
def rule_fingerprints(content_hash: str, content: str, decision_id: str) -> dict[str, tuple[str, ...]]:
    """Rule key (id, else ``#number``) -> its cells, for one decision of one DMN file."""
    root = parse_xml(content, "decision")
    out: dict[str, tuple[str, ...]] = {}
    for decision in root.iter():
        if _local(decision.tag) != "decision" or decision.get("id") != decision_id:
            continue
        number = 0
        for rule in decision.iter():
            if _local(rule.tag) != "rule":
                continue
            number += 1
            cells = tuple(" ".join("".join(t.itertext()).split()) for entry in rule
                          if _local(entry.tag) in ("inputEntry", "outputEntry")
                          for t in entry if _local(t.tag) == "text")
            out[rule.get("id") or f"#{number}"] = cells
            out[f"#{number}"] = cells
    return out


def rule_key(rule: dict[str, Any]) -> str:
    return str(rule.get("ruleId") or f"#{rule.get('index')}")


class DecisionHistory:
    """Reads the decision log with the tables' versions (one per request: it caches what it looks up)."""

    def __init__(self, session: Session, library: ProcessLibrary) -> None:
        self.session = session
        self.library = library
        self._files: dict[str, DefinitionFile | None] = {}
        self._newest: dict[str, str | None] = {}
        self._versions: dict[int, ProcessVersion | None] = {}

    def _file(self, content_hash: str | None) -> DefinitionFile | None:
        if not content_hash:
            return None
        if content_hash not in self._files:
            self._files[content_hash] = self.session.get(DefinitionFile, content_hash)
        return self._files[content_hash]

    def newest_hash(self, decision_id: str) -> str | None:
        if decision_id not in self._newest:
            try:
                self._newest[decision_id] = self.library.decision_file_for(self.session, decision_id).content_hash
            except NotFound:
                self._newest[decision_id] = None
        return self._newest[decision_id]

    def _version(self, version_id: int | None) -> ProcessVersion | None:
        if version_id is None:
            return None
        if version_id not in self._versions:
            self._versions[version_id] = self.session.get(ProcessVersion, version_id)
        return self._versions[version_id]

    def _fingerprints(self, content_hash: str | None, decision_id: str) -> dict[str, tuple[str, ...]] | None:
        stored = self._file(content_hash)
        if stored is None:
            return None
        return rule_fingerprints(stored.content_hash, stored.content, decision_id)

    def changed_rules(self, used_hash: str | None, decision_id: str, rules: list[dict[str, Any]]) -> list[str]:
        """Keys of the matched ``rules`` that differ in (or are gone from) the table's newest version."""
        newest = self.newest_hash(decision_id)
        if not used_hash or not newest or used_hash == newest:
            return []
        then, now = self._fingerprints(used_hash, decision_id), self._fingerprints(newest, decision_id)
        if then is None or now is None:
            return []
        return [rule_key(r) for r in rules if then.get(rule_key(r)) != now.get(rule_key(r))]

    def rows(self, f: DecisionFilter) -> tuple[list[dict[str, Any]], list[dict[str, Any]], int]:
        """The decisions matching ``f`` (newest first, at most ``f.limit``), the counts per rule over
        all of them, and how many matched."""
        query = (select(DecisionLog, Instance).outerjoin(Instance, Instance.id == DecisionLog.instance_id)
                 .order_by(DecisionLog.at.desc(), DecisionLog.id.desc()).limit(MAX_ROWS))
        if f.decision_id:
            query = query.where(DecisionLog.decision_id == f.decision_id)
        if f.output:
            query = query.where(cast(DecisionLog.outputs, String).ilike(f"%{f.output}%"))
        if f.since:
            query = query.where(DecisionLog.at >= f.since)
        if f.until:
            query = query.where(DecisionLog.at < f.until)
        out: list[dict[str, Any]] = []
        counts: Counter[tuple[str, str]] = Counter()
        labels: dict[tuple[str, str], str] = {}
        total = 0
        for log, instance in self.session.execute(query):
            rules = [r for r in (log.matched_rules or []) if isinstance(r, dict)]
            if f.rule and not any(str(r.get("index")) == f.rule or r.get("ruleId") == f.rule for r in rules):
                continue
            version = self._version(getattr(log, "process_version_id", None)
                                    or (instance.process_version_id if instance is not None else None))
            used = getattr(log, "table_hash", None) or ((version.dmn_hashes or {}).get(log.decision_id)
                                                        if version is not None else None)
            changed = self.changed_rules(used, log.decision_id, rules)
            if f.changed_only and not changed:
                continue
            total += 1
            for r in rules:
                key = (log.decision_id, rule_key(r))
                counts[key] += 1
                labels[key] = f"Rule {r.get('index')}" + (f": {r['annotation']}" if r.get("annotation") else "")
            if len(out) < f.limit:
                out.append({
                    "id": log.id, "decisionId": log.decision_id, "decisionName": log.decision_name or log.decision_id,
                    "tableHash": used, "tableFile": getattr(log, "table_file", None),
                    "processVersion": version.version if version is not None else None,
                    "current": bool(used) and used == self.newest_hash(log.decision_id),
                    "inputs": log.inputs or {}, "matchedRules": rules, "outputs": log.outputs, "at": iso(log.at),
                    "instanceId": instance.id if instance is not None else None,
                    "caseReference": instance.case_reference if instance is not None else None,
                    "caseTitle": instance.title if instance is not None else None, "changedRules": changed})
        per_rule = [{"decisionId": d, "rule": k, "label": labels[(d, k)], "count": n}
                    for (d, k), n in sorted(counts.items(), key=lambda item: (item[0][0], -item[1], item[0][1]))]
        return out, per_rule, total

    def tables(self) -> list[str]:
        return sorted(d for d in self.session.scalars(select(DecisionLog.decision_id).distinct()) if d)
