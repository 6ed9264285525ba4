// Performs a device transaction that an IOMMU has to translate page by page: each page (or block)
// the access touches is translated on its own and the access is split downstream accordingly,
// because consecutive input pages need not map to consecutive output pages. Shared by the SMMUv3
// and VT-d models.
#pragma once

#include "models/common/master_attrs.h"
#include "models/common/stats.h"

#include <systemc>
#include <tlm>

#include <algorithm>
#include <cstdint>
#include <vector>

namespace iommu_vp {

// The checks an IOMMU makes before translating a device transaction. It must carry MasterAttrs: a
// master without them is a configuration error of the platform (not of the software), reported once
// per IOMMU and aborted. It must have data and no streaming width shorter than its length: page
// splitting would change a streaming (FIFO) access, so it is refused rather than guessed at.
// Returns the attributes, or nullptr when the payload has been answered. Inline: it runs on every
// transaction; the refusals (counted, logged, answered) are out of line.
void refuse_device_transaction(tlm::tlm_generic_payload& p, const char* owner, Counter& missing_attributes,
                               bool has_attributes);
inline const MasterAttrs* accept_device_transaction(tlm::tlm_generic_payload& p, const char* owner,
                                                    Counter& missing_attributes) {
    const MasterAttrs* attrs = find_master_attrs(p);
    const unsigned length = p.get_data_length();
    if (attrs && length != 0 && p.get_streaming_width() >= length) return attrs;
    refuse_device_transaction(p, owner, missing_attributes, attrs != nullptr);
    return nullptr;
}

// What translating one piece gave: a fault, or the output address of the input and the size of the
// page or block that maps it.
struct PieceTranslation {
    bool faulted = false;
    std::uint64_t output_address = 0;
    unsigned size_bits = 12;
};

enum class TranslatedAccessOutcome {
    completed,  // every piece was performed (the response is downstream's; an error stops early)
    faulted,    // a piece's translation faulted: the caller terminates the transaction
};

// `translate(input_address)` returns the PieceTranslation of the piece starting there. Pieces
// before a fault have already been performed, as on hardware. The payload's address, data,
// length, streaming width and byte enables are restored before returning.
template <typename TranslatePiece>
TranslatedAccessOutcome perform_translated_access(tlm::tlm_generic_payload& p, sc_core::sc_time& delay,
                                                  tlm::tlm_initiator_socket<>& downstream, TranslatePiece&& translate) {
    const std::uint64_t address = p.get_address();
    unsigned char* const data = p.get_data_ptr();
    const unsigned length = p.get_data_length();
    unsigned char* const byte_enables = p.get_byte_enable_ptr();
    const unsigned byte_enable_length = p.get_byte_enable_length();
    const auto restore = [&] {
        p.set_address(address);
        p.set_data_ptr(data);
        p.set_data_length(length);
        p.set_streaming_width(length);
        p.set_byte_enable_ptr(byte_enables);
        p.set_byte_enable_length(byte_enable_length);
    };

    std::vector<unsigned char> piece_enables;  // the pattern as seen from the start of a piece
    unsigned done = 0;
    while (done < length) {
        const std::uint64_t input = address + done;
        const PieceTranslation piece_translation = translate(input);
        if (piece_translation.faulted) {
            restore();
            return TranslatedAccessOutcome::faulted;
        }
        const std::uint64_t page_end = (input | ((std::uint64_t{1} << piece_translation.size_bits) - 1)) + 1;
        const unsigned piece = static_cast<unsigned>(std::min<std::uint64_t>(length - done, page_end - input));
        p.set_address(piece_translation.output_address);
        p.set_data_ptr(data + done);
        p.set_data_length(piece);
        p.set_streaming_width(piece);
        // Byte enables repeat every byte_enable_length bytes; a piece starting `done` bytes in gets the
        // pattern rotated to its start, of the same length (a pointer into the middle would let the
        // target read past the pattern's end).
        if (byte_enables && byte_enable_length) {
            piece_enables.resize(byte_enable_length);
            for (unsigned i = 0; i < byte_enable_length; ++i)
                piece_enables[i] = byte_enables[(done + i) % byte_enable_length];
            p.set_byte_enable_ptr(piece_enables.data());
        }
        downstream->b_transport(p, delay);
        if (!p.is_response_ok()) break;  // the downstream error is the transaction's answer
        done += piece;
    }
    const tlm::tlm_response_status status = p.get_response_status();
    restore();
    p.set_response_status(status);
    return TranslatedAccessOutcome::completed;
}

// transport_dbg through an IOMMU: the debug access is served from `output_address` (the translation
// of the payload's address) up to the end of its page, and the number of bytes served is returned.
inline unsigned int perform_debug_access(tlm::tlm_generic_payload& p, tlm::tlm_initiator_socket<>& downstream,
                                         std::uint64_t output_address, unsigned size_bits) {
    const std::uint64_t address = p.get_address();
    const unsigned length = p.get_data_length();
    const std::uint64_t page_end = (address | ((std::uint64_t{1} << size_bits) - 1)) + 1;
    p.set_address(output_address);
    p.set_data_length(static_cast<unsigned>(std::min<std::uint64_t>(length, page_end - address)));
    const unsigned served = downstream->transport_dbg(p);
    p.set_address(address);
    p.set_data_length(length);
    return served;
}

}  // namespace iommu_vp
