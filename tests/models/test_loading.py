import pytest

from heredity.errors import ConfigError
from heredity.models.chat import render
from heredity.models.loading import ModelSource, _from_pretrained_args
from heredity.steps.models import import_base, load_artifact


def test_embedded_model_imports_once_and_loads_from_safetensors(smollm):
    store, model_id = smollm
    manifest = store.manifest(model_id)
    assert "model.safetensors" in manifest.files
    assert not any(name.endswith((".bin", ".pt", ".pkl")) for name in manifest.files)
    assert manifest.summary["parameters"] == 134_515_008
    assert import_base(store, ModelSource()).id == model_id  # cache hit, same id
    model, tokenizer = load_artifact(store, model_id)
    ids = tokenizer(render(tokenizer, "What is 2+2?"), return_tensors="pt").input_ids
    assert model(ids).logits.shape[-1] == model.config.vocab_size


def test_missing_model_path_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        _from_pretrained_args(str(tmp_path / "nope"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match="no config.json"):
        _from_pretrained_args(str(tmp_path / "empty"))


def test_a_folder_of_pickled_weights_is_refused_naming_the_file(tmp_path):
    # The attack: a model folder whose weights are a pickle (loading one can run code).


    (tmp_path / "config.json").write_text('{"model_type": "llama", "vocab_size": 100}')
    (tmp_path / "pytorch_model.bin").write_bytes(b"\x80\x04not really a model")
    with pytest.raises(ConfigError, match=r"pytorch_model.bin: pickled weights are refused .*accepted: safetensors"):
        _from_pretrained_args(ModelSource(source=str(tmp_path)).source)


def test_a_config_asking_for_a_vocabulary_of_2_to_the_33_is_refused_before_allocating(tmp_path):


    (tmp_path / "model.safetensors").write_bytes(b"")
    (tmp_path / "config.json").write_text('{"model_type": "llama", "vocab_size": 8589934592}')
    with pytest.raises(ConfigError, match=r"config.json: vocab_size: 8589934592 is not a size .*from 1 to 4,194,304"):
        _from_pretrained_args(str(tmp_path))
