"""The embedded default scenario of ``mcfn run``: 7 hexagonal cells with edge servers, a cloud, 300 mobile
terminals, 3 services, 10 simulated minutes (documented field by field in ``docs/formats/simulation-scenario.md``).

``classify`` is the zoo's ResNet-50 (:mod:`mcfn.models.zoo`; its stage derived by :mod:`mcfn.scenario.zoo`, its
accuracy torchvision's published top-1) on a 150 kB JPEG rather than the 4.8 Mbit float tensor, with lighter ways
to serve it (the seed's lightweight deployment, §3): torchvision's int8 ResNet-50 and MobileNetV2 (their published
int8 top-1), the float MobileNetV2 and ResNet-18, an early exit of ResNet-50 after its third stage (accuracy
*assumed*: no published ImageNet table of a ResNet-50 side classifier was found; marked in every output), and
uploads compressed to half or a quarter (seed eq. 1). The zoo holds ImageNet classifiers only, so the other two
services keep explicit stage lists: ``detect`` is a YOLO-style detector split after its backbone (the backbone's
feature map travels to the head), ``transcribe`` a small speech recogniser split into encoder and decoder on one
second of 16 kHz, 16-bit audio.

None of the three says ``work_scales_with_input``: a compressed upload (seed §3.2's ``ρ``) changes the bits sent
and the accuracy (seed eq. 1), not the work of the first stage. ResNet-50's input is resized to 256 and
centre-cropped to 224 × 224 whatever the upload (torchvision's ``ResNet50_Weights.IMAGENET1K_V1.transforms``);
the detector letterboxes its input to a fixed size, as YOLO-style detectors do (assumed); the recogniser's work
follows the seconds of audio, which compression does not shorten (assumed).

The network's numbers and their sources:

- edge VM: 4 cores of a 2nd-generation Xeon Scalable at 2.0 GHz, two 512-bit FMA units a core, i.e. 64 FP32 FLOP
  a cycle (Intel, "Introduction to Intel Deep Learning Boost on Second Generation Intel Xeon Scalable Processors",
  2019): 5.12e11 FLOP/s; 4 VMs a server (assumed), the seed's degradation ``d = 0.1`` (Fig. 4's range, assumed);
- cloud: the region's share for these cells is one NVIDIA A100 split into its 7 MIG instances (datasheet: up to 7;
  312 TFLOPS FP16 tensor dense, so 4.46e13 FLOP/s a slice; 40 GB, so ~5 GB a slice); it draws 400 W at full load
  (the datasheet's SXM4 maximum power) and 50 W idle (assumed); the edge servers keep the scenario's default power
  (60 W idle, 300 W at full load, assumed from SPECpower_ssj2008 results of 2-socket servers);
- cloud round trip: 30 ms beyond the base station (backhaul 0.5 ms + core 2 ms + WAN 12.5 ms each way): commercial
  5G round trips to Internet servers measure 31–34 ms (Ookla's measurements of US operators, as reported by
  TotalTele), and only 29 % of users reach the nearest cloud region within 10 ms against 58 % an edge server
  (Charyyev, Arslan & Gunes, "Latency Comparison of Cloud Datacenters and Edge Servers", IEEE GLOBECOM 2020);
- backhaul: 1 Gb/s a cell site (high-capacity sites, Ericsson Microwave Outlook 2017), 10 Gb/s from each
  aggregation point to the core, shared by its cells (assumed).
"""

DEFAULT_SCENARIO_YAML = """\
duration_s: 600
drain_s: 60
seed: 0
utility_weight: 0.5
network: {rings: 1, cell_radius_m: 500, backhaul_bps: 1.0e+9, core_bps: 1.0e+10, wan_delay_s: 0.0125}
radio: {bandwidth_hz: 2.0e+7, uplink_policy: joint-allocation, hysteresis_db: 3}
terminals:
  count: 300
  mobility: {model: random-waypoint, speed_mps: [0.5, 15.0], pause_s: 5}
compute:
  edge: {kind: cpu, peak_flops_per_s: 5.12e+11, memory_bytes: 3.2e+10, vm_slots: 4, degradation: 0.1}
  cloud: {kind: gpu, peak_flops_per_s: 4.46e+13, memory_bytes: 5.0e+9, vm_slots: 7, idle_w: 50, peak_w: 400}
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
    accuracy_source: assumed (a YOLO-style detector's mAP)
    min_accuracy: 0.4
    stages:
      - {flops: {conv: 9.0e+9, elementwise: 6.0e+8}, output_bits: 3.2e+6}
      - {flops: {conv: 2.5e+9, elementwise: 2.0e+8, other: 5.0e+7}, output_bits: 16000}
  - name: transcribe
    rate_per_terminal_per_s: 0.3
    data_bits: 2.56e+5
    deadline_s: 0.25
    accuracy: 0.9
    accuracy_source: assumed (1 - word error rate of a small recogniser)
    min_accuracy: 0.8
    stages:
      - {flops: {matmul: 3.0e+9, elementwise: 3.0e+8}, output_bits: 1.2e+6}
      - {flops: {matmul: 1.5e+9, elementwise: 1.0e+8}, output_bits: 4000}
"""
