//! The in-memory sizes of the types on the decode hot path stay small (a decoded message is a
//! tree of these; growing them costs every decode).

use core::mem::size_of;

use omadm_syncml::sessionless::SessionlessReport;
use omadm_syncml::{Command, Item, ItemData, Meta};

#[test]
fn command_is_at_most_128_bytes() {
    assert!(
        size_of::<Command<'_>>() <= 128,
        "{}",
        size_of::<Command<'_>>()
    );
}

#[test]
fn item_is_at_most_400_bytes() {
    assert!(size_of::<Item<'_>>() <= 400, "{}", size_of::<Item<'_>>());
}

#[test]
fn meta_and_item_data_stay_small() {
    assert!(size_of::<Meta<'_>>() <= 216, "{}", size_of::<Meta<'_>>());
    assert!(
        size_of::<ItemData<'_>>() <= 32,
        "{}",
        size_of::<ItemData<'_>>()
    );
}

#[test]
fn report_is_at_most_160_bytes() {
    let n = size_of::<SessionlessReport<'_>>();
    assert!(n <= 160, "{n}");
}
