"""BPMN data stores as careflow key-value stores: one per process and data store, in the database.

A task with a data input association from a data store reference finds the store's entries in its
data under the store's id (a dict of key to value); a task with a data output association writes the
dict under that name back: each key is stored (a key set to ``None`` is removed), in the step's
transaction. Cases of the same process share the store (a register of providers, a counter of
referrals); cases of other processes do not see it. Limits keep a store small: past them the task
fails, which is an incident naming the element.
"""
from __future__ import annotations

import json
from typing import Any

from SpiffWorkflow.bpmn.exceptions import WorkflowDataException
from SpiffWorkflow.bpmn.specs.data_spec import BpmnDataStoreSpecification
from sqlalchemy import select

from .data import to_json_safe
from .models import DataStoreEntry, utcnow

MAX_KEYS = 1000
MAX_VALUE_CHARS = 65_536
MAX_KEY_CHARS = 200


class CareflowDataStore(BpmnDataStoreSpecification):
    """A data store whose entries are rows of ``data_store_entry``."""

    def _session(self, my_task: Any) -> Any:
        from .spiff_bridge import current_step  # spiff_bridge names this class for its parser

        ctx = current_step.get()
        if ctx is None or ctx.session is None:
            raise WorkflowDataException("A data store is read and written only inside a careflow step", my_task,
                                        data_input=self)
        return ctx

    @staticmethod
    def _process(my_task: Any) -> str:
        return str(my_task.workflow.top_workflow.spec.name)

    def get(self, my_task: Any) -> None:
        ctx = self._session(my_task)
        rows = ctx.session.scalars(select(DataStoreEntry).where(
            DataStoreEntry.process_id == self._process(my_task), DataStoreEntry.store_id == self.bpmn_id))
        my_task.data[self.bpmn_id] = {row.key: row.value for row in rows}

    def set(self, my_task: Any) -> None:
        ctx = self._session(my_task)
        value = my_task.data.pop(self.bpmn_id, None)
        if not isinstance(value, dict):
            raise WorkflowDataException(f"The task must leave a dict of key to value in '{self.bpmn_id}' for the "
                                        f"data store to keep", my_task, data_output=self)
        process_id = self._process(my_task)
        existing = {row.key: row for row in ctx.session.scalars(select(DataStoreEntry).where(
            DataStoreEntry.process_id == process_id, DataStoreEntry.store_id == self.bpmn_id))}
        for key, item in value.items():
            key = str(key)
            if len(key) > MAX_KEY_CHARS:
                raise WorkflowDataException(f"A data store key is longer than {MAX_KEY_CHARS} characters", my_task,
                                            data_output=self)
            row = existing.get(key)
            if item is None:
                if row is not None:
                    ctx.session.delete(row)
                    existing.pop(key)
                continue
            clean = to_json_safe(item)
            if len(json.dumps(clean)) > MAX_VALUE_CHARS:
                raise WorkflowDataException(f"The value of '{key}' is larger than {MAX_VALUE_CHARS} characters",
                                            my_task, data_output=self)
            if row is None:
                if len(existing) >= MAX_KEYS:
                    raise WorkflowDataException(f"The data store '{self.bpmn_id}' already holds {MAX_KEYS} keys",
                                                my_task, data_output=self)
                row = DataStoreEntry(process_id=process_id, store_id=self.bpmn_id, key=key)
                ctx.session.add(row)
                existing[key] = row
            row.value, row.updated_at, row.updated_by_instance = clean, utcnow(), ctx.instance_id


class EveryDataStore(dict):  # type: ignore[type-arg]
    """SpiffWorkflow looks a data store's implementation up by the store's name: every name is careflow's."""

    def __contains__(self, name: object) -> bool:
        return True

    def __getitem__(self, name: Any) -> type[CareflowDataStore]:
        return CareflowDataStore
