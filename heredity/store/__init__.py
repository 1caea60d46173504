"""Content-addressed artifacts, their lineage, verification and exports."""

from heredity.store.manifest import Manifest, Parent
from heredity.store.store import Artifact, BuildContext, Produced, Store, write_json

__all__ = ["Artifact", "BuildContext", "Manifest", "Parent", "Produced", "Store", "write_json"]
