"""The method: the linear-SDE family (passive, active, CLD) with closed-form kernels, exact
mixture scores, the network score parameterisation and the samplers. Knows no dataset and no workflow."""
