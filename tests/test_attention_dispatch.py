"""Which kernel MultiHeadAttention calls: F.scaled_dot_product_attention whenever scores are not
requested, on views of the projections (no copies), under the backend `flash_attention` selects."""

import pytest
import torch
import torch.nn.functional as F

from torchkeras_layers.layers import MultiHeadAttention
from torchkeras_layers.ops import attention as attention_ops


@pytest.fixture
def sdpa_calls(monkeypatch):
    """Records each SDPA call's arguments and the backends enabled while it runs."""
    calls = []
    original = F.scaled_dot_product_attention

    def spy(query, key, value, **kwargs):
        calls.append({
            "query": query, "key": key, "value": value, **kwargs,
            "flash": torch.backends.cuda.flash_sdp_enabled(),
            "efficient": torch.backends.cuda.mem_efficient_sdp_enabled(),
            "math": torch.backends.cuda.math_sdp_enabled(),
        })
        return original(query, key, value, **kwargs)

    monkeypatch.setattr(F, "scaled_dot_product_attention", spy)
    return calls


def _layer(**kwargs):
    kwargs.setdefault("value_dim", 5)
    layer = MultiHeadAttention(num_heads=3, key_dim=4, **kwargs)
    layer(torch.randn(2, 6, 8), torch.randn(2, 7, 9))
    return layer


def test_fused_kernel_on_views_of_the_projections(sdpa_calls):
    layer = _layer()
    sdpa_calls.clear()
    layer(torch.randn(2, 6, 8), torch.randn(2, 7, 9), value_mask=torch.rand(2, 7) > 0.5)
    (call,) = sdpa_calls
    # (B, N, L, H) views of the (B, L, N*H) projection outputs: strides of the untransposed tensor.
    assert call["query"].shape == (2, 3, 6, 4) and call["query"].stride() == (6 * 12, 4, 12, 1)
    assert call["key"].stride() == (7 * 12, 4, 12, 1)
    assert call["value"].shape == (2, 3, 7, 5) and call["value"].stride() == (7 * 15, 5, 15, 1)
    assert call["attn_mask"].dtype == torch.bool and call["attn_mask"].shape == (2, 1, 1, 7)
    assert call["scale"] == pytest.approx(0.5) and call["dropout_p"] == 0.0 and not call["is_causal"]


def test_causal_only_uses_the_kernels_causal_path(sdpa_calls):
    layer = _layer()
    sdpa_calls.clear()
    layer(torch.randn(2, 6, 8), torch.randn(2, 7, 9), use_causal_mask=True)
    (call,) = sdpa_calls
    assert call["is_causal"] and call["attn_mask"] is None
    sdpa_calls.clear()
    layer(torch.randn(2, 6, 8), torch.randn(2, 7, 9), use_causal_mask=True, value_mask=torch.ones(2, 7, dtype=torch.bool))
    (call,) = sdpa_calls
    assert not call["is_causal"] and call["attn_mask"].shape == (2, 1, 6, 7)  # causal folded into the mask


def test_training_dropout_goes_to_the_kernel(sdpa_calls):
    layer = _layer(dropout=0.25)
    sdpa_calls.clear()
    layer(torch.randn(2, 6, 8), torch.randn(2, 7, 9), training=True)
    assert [c["dropout_p"] for c in sdpa_calls] == [0.25]
    sdpa_calls.clear()
    layer(torch.randn(2, 6, 8), torch.randn(2, 7, 9), training=False)
    layer.eval()
    layer(torch.randn(2, 6, 8), torch.randn(2, 7, 9))  # training=None follows .eval()
    assert [c["dropout_p"] for c in sdpa_calls] == [0.0, 0.0]


def test_scores_use_the_explicit_path(sdpa_calls):
    layer = _layer()
    sdpa_calls.clear()
    _, scores = layer(torch.randn(2, 6, 8), torch.randn(2, 7, 9), return_attention_scores=True)
    assert not sdpa_calls and scores.shape == (2, 3, 6, 7)


@pytest.mark.parametrize("flash, expected", [
    (None, None),  # torch's own choice: the global flags are left as they are
    (True, {"flash": True, "efficient": False, "math": False}),
    (False, {"flash": False, "efficient": True, "math": True}),
])
def test_flash_attention_selects_the_backend(sdpa_calls, flash, expected):
    before = (torch.backends.cuda.flash_sdp_enabled(), torch.backends.cuda.mem_efficient_sdp_enabled(),
              torch.backends.cuda.math_sdp_enabled())
    layer = _layer(flash_attention=flash, value_dim=4)  # the flash kernel needs one head size
    sdpa_calls.clear()
    layer(torch.randn(2, 6, 8), torch.randn(2, 7, 9))
    (call,) = sdpa_calls
    seen = {k: call[k] for k in ("flash", "efficient", "math")}
    assert seen == (expected or dict(zip(("flash", "efficient", "math"), before)))
    after = (torch.backends.cuda.flash_sdp_enabled(), torch.backends.cuda.mem_efficient_sdp_enabled(),
             torch.backends.cuda.math_sdp_enabled())
    assert after == before  # restored after the call


def test_flash_attention_refuses_scores_dropout_and_two_head_sizes():
    layer = _layer(flash_attention=True, value_dim=4)
    with pytest.raises(ValueError, match="MultiHeadAttention: argument `return_attention_scores`"):
        layer(torch.randn(2, 6, 8), torch.randn(2, 7, 9), return_attention_scores=True)
    with pytest.raises(ValueError, match="MultiHeadAttention: argument `flash_attention`"):
        MultiHeadAttention(num_heads=2, key_dim=2, flash_attention=True, dropout=0.1)
    with pytest.raises(ValueError, match="MultiHeadAttention: argument `flash_attention` needs value_dim == key_dim"):
        MultiHeadAttention(num_heads=2, key_dim=2, value_dim=3, flash_attention=True)


def test_fully_masked_rows_helper():
    """`attention` gives a row with no visible key the mean of the values ("uniform", Keras' fused
    path) or zeros ("zero", Keras' explicit path), with no NaN in values or gradients."""
    query, key, value = (torch.randn(1, 2, 3, 4, requires_grad=True) for _ in range(3))
    mask = torch.tensor([[True, False, True], [False, False, False], [True, True, False]])
    uniform = attention_ops.attention(query, key, value, mask, 0.5, fully_masked_rows="uniform")
    zero = attention_ops.attention(query, key, value, mask, 0.5, fully_masked_rows="zero")
    torch.testing.assert_close(uniform[:, :, 1], value.mean(dim=2))
    torch.testing.assert_close(zero[:, :, 1], torch.zeros_like(zero[:, :, 1]))
    torch.testing.assert_close(uniform[:, :, [0, 2]], zero[:, :, [0, 2]])
    grads = torch.autograd.grad(uniform.sum(), (query, key, value))
    assert all(torch.isfinite(g).all() for g in grads)
    assert grads[0][:, :, 1].abs().max() == 0  # the masked row's query gets no gradient, as in Keras
