"""The toy stage: 2D/1D distributions, exact- and learned-score sampling plans, Fourier-mode decay
(Fig A6), speciation (Fig A8) and the toy figures."""
