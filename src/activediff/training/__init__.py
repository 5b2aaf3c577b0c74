"""Training score networks: losses (DSM/HSM, weightings, mixed score), the MLP and the periodic
U-Net, the trainer (EMA, clipping, resume) and checkpoints."""
