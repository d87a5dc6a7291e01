"""The embedded default scenario of ``mcfn run``: 7 hexagonal cells with edge servers, a cloud, 300 mobile
terminals, 3 services, 10 simulated minutes (documented field by field in ``docs/scenario.md``).

``classify`` is the zoo's ResNet-50 (:mod:`mcfn.models.zoo`; its stage derived by :mod:`mcfn.scenario.zoo`, its
accuracy torchvision's published top-1) on a 150 kB JPEG rather than the 4.8 Mbit float tensor. The zoo holds
ImageNet classifiers only, so the other two services keep explicit stage lists: ``detect`` is a YOLO-style
detector split after its backbone (the backbone's feature map travels to the head), ``transcribe`` a small
speech recogniser split into encoder and decoder on one second of 16 kHz, 16-bit audio.
"""

DEFAULT_SCENARIO_YAML = """\
duration_s: 600
drain_s: 60
seed: 0
utility_weight: 0.5
network: {rings: 1, cell_radius_m: 500}
radio: {bandwidth_hz: 2.0e+7, uplink_policy: equal-bandwidth, hysteresis_db: 3}
terminals:
  count: 300
  mobility: {model: random-waypoint, speed_mps: [0.5, 15.0], pause_s: 5}
compute:
  edge: {kind: cpu, peak_flops_per_s: 4.0e+11, memory_bytes: 3.2e+10, vm_slots: 4, degradation: 0.1}
  cloud: {kind: gpu, peak_flops_per_s: 1.0e+13, memory_bytes: 1.0e+12, vm_slots: 64}
awareness: {period_s: 0.1, jitter_s: 0.01, loss_probability: 0.01}
services:
  - name: classify
    model: resnet50
    split: {stages: 1}
    exits:
      - {after: layer3_5_relu_2, accuracy: 0.70, source: assumed}
    variants:
      - {model: resnet50, precision: int8}
      - {model: mobilenet_v2}
      - {model: mobilenet_v2, precision: int8}
      - {model: resnet18}
    compression: [1.0, 0.5, 0.25]
    rate_per_terminal_per_s: 0.3
    data_bits: 1.2e+6
    deadline_s: 0.1
    min_accuracy: 0.65
  - name: detect
    rate_per_terminal_per_s: 0.3
    data_bits: 2.0e+6
    deadline_s: 0.15
    accuracy: 0.5
    min_accuracy: 0.4
    stages:
      - {flops: {conv: 9.0e+9, elementwise: 6.0e+8}, output_bits: 3.2e+6}
      - {flops: {conv: 2.5e+9, elementwise: 2.0e+8, other: 5.0e+7}, output_bits: 16000}
  - name: transcribe
    rate_per_terminal_per_s: 0.3
    data_bits: 2.56e+5
    deadline_s: 0.25
    accuracy: 0.9
    min_accuracy: 0.8
    stages:
      - {flops: {matmul: 3.0e+9, elementwise: 3.0e+8}, output_bits: 1.2e+6}
      - {flops: {matmul: 1.5e+9, elementwise: 1.0e+8}, output_bits: 4000}
"""
