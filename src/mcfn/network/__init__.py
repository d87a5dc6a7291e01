"""Network resource layer: radio propagation and OFDMA rates (topology and mobility come later)."""
