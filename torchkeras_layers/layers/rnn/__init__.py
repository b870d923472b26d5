"""Recurrent layers (Keras' `keras/src/layers/rnn/`): cells, the RNN loop, LSTM, GRU, SimpleRNN, Bidirectional,
TimeDistributed."""
