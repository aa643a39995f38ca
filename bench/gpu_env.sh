# bench/gpu_env.sh: sourced by bench/gpu.sh and bench/gpu_lm.sh on a lent GPU machine.
# use_carried_vulkan: where the machine lacks a Vulkan loader or glvnd (the NVIDIA ICD needs both),
# unpack the Debian .debs carried in .gl/ (libvulkan1 libglvnd0 libegl1 libgl1 libglx0 libopengl0
# libgles2), and point the loader at the NVIDIA ICD unless VK_DRIVER_FILES is already set.
use_carried_vulkan() {
  if [ -d .gl ]; then
    for f in .gl/*.deb; do dpkg -x "$f" /; done
    ldconfig
  fi
  local icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
  if [ -f "$icd" ]; then export VK_DRIVER_FILES="${VK_DRIVER_FILES:-$icd}"; fi
}
