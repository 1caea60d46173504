"""A seeded zoo of tiny same-architecture language models (for exact same-init vs
different-init tests at language-model level): ``corpus`` makes the offline text,
``pretrain`` trains one zoo member per seed as an ordinary ``model`` artifact, ``inherit``
runs the same-init experiment on them."""
