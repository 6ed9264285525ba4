// Accesses an IOMMU makes on its own behalf through its downstream socket: table and queue reads,
// status and accessed/dirty writes, MSIs. Shared by the SMMUv3 and VT-d models so both cost and
// fail the same way.
#pragma once

#include <systemc>
#include <tlm>

#include <cstdint>
#include <memory>
#include <vector>

namespace iommu_vp {

// Payloads for the IOMMU's own accesses, reused: constructing a generic payload allocates. A pool
// rather than one payload, because a downstream target may wait() inside b_transport and let
// another master's transaction start a walk meanwhile.
class PayloadPool {
public:
    tlm::tlm_generic_payload* take();
    void give_back(tlm::tlm_generic_payload* payload) { free_.push_back(payload); }

private:
    std::vector<std::unique_ptr<tlm::tlm_generic_payload>> all_;
    std::vector<tlm::tlm_generic_payload*> free_;
};

// Timed accesses (a delay given) add what the memory system returns to it; debug accesses (no
// delay) go through transport_dbg, cost nothing and change nothing downstream when they read.
// A payload is taken from the pool only when an access happens (a cache hit makes none).
class DownstreamAccess {
public:
    using Socket = tlm::tlm_initiator_socket<>;
    DownstreamAccess(Socket& socket, sc_core::sc_time* delay, PayloadPool& pool)
        : socket_(socket), delay_(delay), pool_(pool) {}
    ~DownstreamAccess() {
        if (payload_) pool_.give_back(payload_);
    }
    DownstreamAccess(const DownstreamAccess&) = delete;
    DownstreamAccess& operator=(const DownstreamAccess&) = delete;

    // False when the memory system answers with an error (an external abort).
    bool read(std::uint64_t address, std::uint8_t* bytes, unsigned length) { return access(true, address, bytes, length); }
    bool write(std::uint64_t address, std::uint8_t* bytes, unsigned length) {
        return access(false, address, bytes, length);
    }
    bool is_debug() const { return delay_ == nullptr; }

    // A 64-bit little-endian read (a paging entry or translation-table descriptor).
    bool read64(std::uint64_t address, std::uint64_t& value);
    // The atomic compare-and-exchange of a paging entry or descriptor that hardware accessed/dirty
    // updates need (VT-d first-level and second-level A/D, SMMUv3 HTTU): reads the 64-bit
    // little-endian value at `address` into `observed` and, only if it equals `expected`, writes
    // `desired` there. The read and the conditional write are made in one call with no wait()
    // between them: atomic as long as the memory system does not wait inside b_transport (the
    // platform's memories never do), so a change made by software before the read is seen and
    // never written over. Debug accesses never write: the exchange then reports what memory holds
    // (success when it equals `expected`) without storing. False when either access is answered
    // with an error.
    bool compare_exchange64(std::uint64_t address, std::uint64_t expected, std::uint64_t desired,
                            std::uint64_t& observed);

private:
    bool access(bool is_read, std::uint64_t address, std::uint8_t* bytes, unsigned length);

    Socket& socket_;
    sc_core::sc_time* delay_;
    PayloadPool& pool_;
    tlm::tlm_generic_payload* payload_ = nullptr;
};

// A message-signalled interrupt: one 32-bit little-endian write of `data` to `address`, issued at
// the caller's current time. False when the write is answered with an error.
bool send_msi(tlm::tlm_initiator_socket<>& socket, std::uint64_t address, std::uint32_t data);

}  // namespace iommu_vp
