//! The global allocator: talc, fed by wasm memory grown in large steps.
//!
//! Why not talc's own `WasmDynamicTalc`: it grows memory by just what one allocation needs,
//! so a run that keeps 38,000 results grows it page by page, hundreds of times. Every grow
//! replaces `memory.buffer` with a new (young) ArrayBuffer the size of the whole memory, and
//! V8 scavenges on every ArrayBuffer allocation while young buffers hold more than twice its
//! semi-space (32 MB on Node 20): past 32 MB of wasm memory each fetch body then costs a
//! garbage collection. Measured on the 38,000-deal benchmark: about 250 scavenges in the
//! second window, and the run ends 0.3–0.5 s later. Growing by a quarter of the memory (at
//! least 1 MB) makes grows rare; untouched pages cost address space, not RAM.

use core::alloc::Layout;
use core::arch::wasm32::{memory_grow, memory_size};
use core::ptr::NonNull;

use talc::base::binning::Binning;
use talc::base::Talc;

const PAGE: usize = 64 * 1024;
/// Never grow by less than this many pages (1 MB).
const MIN_GROW_PAGES: usize = 16;

/// A talc memory source that extends one heap at the end of wasm memory, in large steps.
#[derive(Debug)]
pub struct GrowAhead {
    end: Option<NonNull<u8>>,
}

// SAFETY: `acquire` allocates nothing; it only grows wasm memory and hands the new pages
// (which nothing else uses) to talc, extending the heap when they follow it.
unsafe impl talc::source::Source for GrowAhead {
    fn acquire<B: Binning>(talc: &mut Talc<Self, B>, layout: Layout) -> Result<(), ()> {
        // Room for the chunk, its tag and alignment, as talc's own sources reckon it, with slack.
        let needed = layout
            .size()
            .saturating_add(layout.align())
            .saturating_add(256);
        let needed_pages = needed.div_ceil(PAGE);
        let ahead = (memory_size::<0>() / 4).max(MIN_GROW_PAGES);
        let pages = needed_pages.max(ahead);
        let prev = match memory_grow::<0>(pages) {
            usize::MAX => match memory_grow::<0>(needed_pages) {
                // Near the 4 GB limit: try just what is needed.
                usize::MAX => return Err(()),
                prev => return claim(talc, prev, needed_pages),
            },
            prev => prev,
        };
        claim(talc, prev, pages)
    }
}

fn claim<B: Binning>(
    talc: &mut Talc<GrowAhead, B>,
    prev_pages: usize,
    pages: usize,
) -> Result<(), ()> {
    let base = (prev_pages * PAGE) as *mut u8;
    let end = base.wrapping_add(pages * PAGE);
    if let Some(old_end) = talc.source.end.take() {
        if old_end.as_ptr() == base {
            // SAFETY: the pages from `old_end` to `end` were just grown and belong to no one.
            talc.source.end = Some(unsafe { talc.extend(old_end, end) });
            return Ok(());
        }
    }
    // SAFETY: as above; a fresh heap over the new pages.
    talc.source.end = unsafe { talc.claim(base, pages * PAGE) };
    talc.source.end.map(|_| ()).ok_or(())
}

/// The allocator of the wasm build. The module is single-threaded (no `atomics` target
/// feature), which is what `TalcSyncCell` assumes.
#[cfg(not(target_feature = "atomics"))]
#[global_allocator]
static ALLOCATOR: talc::cell::TalcSyncCell<GrowAhead, talc::wasm::WasmBinning> =
    talc::cell::TalcSyncCell::new_wasm(GrowAhead { end: None });
