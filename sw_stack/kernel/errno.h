// Linux error numbers, as the kernel runtime and the code on it return them: 0 or a negative errno
// (`return -EPROBE_DEFER;`), so code reads as the kernel code it re-implements.
//
// The numbers every C library also has (ENODEV, EINVAL, ...) come from the host's <cerrno>: they are
// macros there, and a second definition of the same name would collide with them. The static_asserts
// pin them to the kernel's values (include/uapi/asm-generic/errno-base.h and errno.h), which glibc on
// Linux shares; a host with other numbers fails here, not in a test. The kernel-internal numbers
// above 511 (include/linux/errno.h), which no C library has, are defined here.
#pragma once

#include <cerrno>

namespace iommu_vp::kernel {

static_assert(EPERM == 1 && ENOENT == 2 && EIO == 5 && ENXIO == 6 && EAGAIN == 11 && ENOMEM == 12 &&
                  EFAULT == 14 && EBUSY == 16 && EEXIST == 17 && ENODEV == 19 && EINVAL == 22 && ENOSPC == 28 &&
                  ERANGE == 34 && ENOSYS == 38 && EOPNOTSUPP == 95 && ETIMEDOUT == 110 && EALREADY == 114 &&
                  EINPROGRESS == 115,
              "the host's errno values differ from Linux's: the kernel runtime needs Linux's numbers");

// Kernel-internal: never seen by user space.
inline constexpr int ERESTARTSYS = 512;
inline constexpr int EPROBE_DEFER = 517;  // driver requests probe retry
inline constexpr int ENOTSUPP = 524;      // operation is not supported (kernel-internal spelling)

// "EPROBE_DEFER" for 517 or -517, "E?" for a number not listed: for logs and test messages.
constexpr const char* errno_name(int err) {
    switch (err < 0 ? -err : err) {
        case 0: return "0";
        case EPERM: return "EPERM";
        case ENOENT: return "ENOENT";
        case EIO: return "EIO";
        case ENXIO: return "ENXIO";
        case EAGAIN: return "EAGAIN";
        case ENOMEM: return "ENOMEM";
        case EFAULT: return "EFAULT";
        case EBUSY: return "EBUSY";
        case EEXIST: return "EEXIST";
        case ENODEV: return "ENODEV";
        case EINVAL: return "EINVAL";
        case ENOSPC: return "ENOSPC";
        case ERANGE: return "ERANGE";
        case ENOSYS: return "ENOSYS";
        case EOPNOTSUPP: return "EOPNOTSUPP";
        case ETIMEDOUT: return "ETIMEDOUT";
        case EALREADY: return "EALREADY";
        case EINPROGRESS: return "EINPROGRESS";
        case ERESTARTSYS: return "ERESTARTSYS";
        case EPROBE_DEFER: return "EPROBE_DEFER";
        case ENOTSUPP: return "ENOTSUPP";
        default: return "E?";
    }
}

}  // namespace iommu_vp::kernel
