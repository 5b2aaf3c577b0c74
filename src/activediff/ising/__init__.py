"""The Ising stage: exact finite-lattice references, the Metropolis generator (numba and torch
kernels), its validation, lattice observables, the lattice score models and their figures."""
