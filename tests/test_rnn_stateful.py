"""Stateful recurrent layers as torch modules: kept states across calls, reset, dtype/device moves,
state_dict (states are not weights, as in Keras), and batch-size errors. Keras comparisons of the
numbers are in equivalence_tests/test_rnn.py."""

import pytest
import torch

from torchkeras_layers import layers


@pytest.mark.parametrize("name", ["LSTM", "GRU", "SimpleRNN"])
def test_two_halves_continue_the_sequence(name):
    """A stateful layer fed a sequence in two calls ends where the whole sequence in one call ends."""
    torch.manual_seed(0)
    x = torch.randn(2, 6, 3)
    stateful = getattr(layers, name)(4, stateful=True)
    stateful.build((2, 6, 3))
    whole = getattr(layers, name)(4)
    whole.build((2, 6, 3))
    whole.set_weights(stateful.get_weights())
    with torch.no_grad():
        stateful(x[:, :3])
        halves = stateful(x[:, 3:])
        assert not torch.equal(stateful(x[:, 3:]), halves)  # the states moved on again
        stateful.reset_state()
        stateful(x[:, :3])
        again = stateful(x[:, 3:])
    torch.testing.assert_close(again, halves)
    torch.testing.assert_close(halves, whole(x), rtol=1e-5, atol=1e-6)


def test_reset_zeroes_and_states_follow_double():
    layer = layers.LSTM(2, stateful=True)
    layer(torch.randn(3, 4, 5))
    assert all(s.abs().sum() > 0 for s in layer.states)
    layer.reset_states()
    assert all(torch.count_nonzero(s) == 0 for s in layer.states)
    layer.double()
    assert all(s.dtype == torch.float64 for s in layer.states)
    assert layer(torch.randn(3, 4, 5, dtype=torch.float64)).dtype == torch.float64


def test_states_are_not_in_state_dict_or_weights():
    layer = layers.GRU(2, stateful=True)
    layer(torch.randn(3, 4, 5))
    assert [k for k in layer.state_dict()] == ["cell.kernel", "cell.recurrent_kernel", "cell.bias"]
    assert len(layer.get_weights()) == 3


def test_wrong_batch_is_a_value_error_naming_the_layer():
    layer = layers.LSTM(2, stateful=True)
    layer(torch.randn(3, 4, 5))
    with pytest.raises(ValueError, match=r"LSTM .*stateful.*batch size"):
        layer(torch.randn(2, 4, 5))
