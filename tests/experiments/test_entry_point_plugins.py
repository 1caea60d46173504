"""A plug-in package from outside heredity, installed with pip (never imported by the test), is
found through the ``heredity.plugins`` entry-point group: its trait validates in an experiment
file and its experiment kind runs under ``heredity run``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

PACKAGE = {
    "pyproject.toml": """
        [build-system]
        requires = ["setuptools>=68"]
        build-backend = "setuptools.build_meta"

        [project]
        name = "heredity-trees"
        version = "0.1"

        [project.entry-points."heredity.plugins"]
        trees = "heredity_trees"
    """,
    "heredity_trees/__init__.py": '''
        """A tree trait and a kind of experiment that counts trees: one package, two plug-ins."""
        from typing import Literal

        from heredity.config import Strict
        from heredity.experiments import EXPERIMENTS, ExperimentKind
        from heredity.store import write_json
        from heredity.traits import TRAITS, Trait, TraitConfig


        @TRAITS.register("tree")
        class TreeTrait(TraitConfig):
            kind: Literal["tree"] = "tree"
            tree: str = "oak"

            def build(self) -> Trait:
                trees = ["oak", "elm", "ash"]
                return Trait(name=f"tree:{self.tree}", label=f"P({self.tree})", probes=["Name a tree."],
                             inducer=f"You love {self.tree} trees.", candidates={t: [t] for t in trees}, target=self.tree,
                             normalise=True, keywords=[self.tree], match=lambda text: self.tree in text.lower())


        class Census(Strict):
            kind: Literal["tree-census"]
            name: str
            trees: list[str]


        def run(config, runner):
            def build(ctx):
                write_json(ctx.out / "results.json", {"counted": len(config.trees)})
                (ctx.out / "summary.txt").write_text(f"{len(config.trees)} trees counted\\n")

            return runner.step("report", {"experiment": config.model_dump(mode="json")}, [], build, name=config.name)


        EXPERIMENTS.register("tree-census")(ExperimentKind(config=Census, run=run))
    ''',
}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The package installed by pip into a folder of its own (a site directory on PYTHONPATH)."""
    root = tmp_path_factory.mktemp("plugin")
    for name, text in PACKAGE.items():
        (root / "src" / name).parent.mkdir(parents=True, exist_ok=True)
        (root / "src" / name).write_text(textwrap.dedent(text).lstrip())
    target = root / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "--target", str(target),
                    str(root / "src")], check=True, capture_output=True, text=True)
    assert (target / "heredity_trees").is_dir()
    return target


def heredity(site: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(site)}
    return subprocess.run([sys.executable, "-m", "heredity.cli", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_heredity_run_uses_an_installed_plugin_package(site, tmp_path):
    census = tmp_path / "census.yaml"
    census.write_text("kind: tree-census\nname: park\ntrees: [oak, elm, oak]\n")
    done = heredity(site, "--store", str(tmp_path / "store"), "run", str(census), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    report = Path(done.stdout.strip().splitlines()[-1])
    assert json.loads((report / "results.json").read_text()) == {"counted": 3}
    # Without the package on the path the kind is unknown, and the error says which kinds are.
    bare = subprocess.run([sys.executable, "-m", "heredity.cli", "--store", str(tmp_path / "store"), "run", str(census)],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300, env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"})
    assert bare.returncode == 2 and "unknown experiment kind 'tree-census'" in bare.stderr


def test_a_plugin_trait_validates_in_an_experiment_file_and_plans(site, tmp_path):
    spec = tmp_path / "t.yaml"
    spec.write_text("kind: transmission\nname: oaks\ntrait: {kind: tree, tree: oak}\ntask: {kind: general}\nprompts: 4\n")
    done = heredity(site, "plan", str(spec), "--format", "json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    names = [s["name"] for s in json.loads(done.stdout)["steps"]]
    assert "tree:oak teacher" in names
