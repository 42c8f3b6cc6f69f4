//! Tests of admission: the local quota's worst minute, bursts, pauses, and
//! the shared-budget seam (slots slept, pauses shared, refusals).

use std::sync::atomic::Ordering::SeqCst;

use super::*;
use crate::asana::testing::MemoryBudget;

const LONG: Duration = Duration::from_secs(120);

/// Most admissions in a 60 s half-open window: b + ceil(60 s / T) - 1.
fn worst_minute(rpm: u32) -> u64 {
    let rpm = NonZeroU32::new(rpm).unwrap();
    let q = quota(rpm);
    let period = q.replenish_interval().as_nanos();
    let b = u128::from(q.burst_size().get());
    (b + 60_000_000_000_u128.div_ceil(period) - 1) as u64
}

fn local(rpm: u32, in_flight: usize) -> Limiter {
    Limiter::new(
        NonZeroU32::new(rpm).unwrap(),
        in_flight,
        &Budget::Local,
        LONG,
    )
}

fn shared(budget: &Arc<MemoryBudget>, max_wait: Duration) -> Limiter {
    let budget = Budget::Shared(Arc::clone(budget) as Arc<dyn SharedBudget>);
    Limiter::new(NonZeroU32::MIN, 4, &budget, max_wait)
}

#[test]
fn no_minute_exceeds_the_budget() {
    for rpm in [1, 2, 10, 29, 30, 60, 150, 151, 1500, 10_000] {
        let worst = worst_minute(rpm);
        assert!(worst <= u64::from(rpm), "rpm {rpm}: worst minute {worst}");
        assert!(
            worst + 1 >= u64::from(rpm),
            "rpm {rpm}: wastes budget ({worst})"
        );
    }
}

#[tokio::test]
async fn admits_a_burst_then_paces() {
    let limiter = local(150, 10);
    let stats = Recorder::default();
    let Pace::Local(rate) = &limiter.pace else {
        panic!("a local budget uses governor")
    };
    for _ in 0..5 {
        assert!(rate.check().is_ok());
    }
    assert!(rate.check().is_err(), "burst of 5 for 150 rpm");
    drop(limiter.admit(&stats).await.unwrap());
    assert!(stats.snapshot().paced > Duration::ZERO);
}

#[tokio::test]
async fn a_pause_holds_later_requests() {
    let limiter = local(6000, 2);
    let stats = Recorder::default();
    limiter.pause_for(Duration::from_millis(200));
    limiter.pause_for(Duration::from_millis(50)); // never shortens
    let start = std::time::Instant::now();
    drop(limiter.admit(&stats).await.unwrap());
    assert!(start.elapsed() >= Duration::from_millis(190));
    assert!(stats.snapshot().waited >= Duration::from_millis(150));
}

#[tokio::test]
async fn a_shared_budget_spaces_requests_by_its_slots() {
    let budget = MemoryBudget::new(Duration::from_millis(50));
    let limiter = shared(&budget, LONG);
    let stats = Recorder::default();
    let start = std::time::Instant::now();
    for _ in 0..4 {
        drop(limiter.admit(&stats).await.unwrap());
    }
    assert!(start.elapsed() >= Duration::from_millis(150));
    assert_eq!(budget.reserved(), 4);
    assert!(stats.snapshot().paced >= Duration::from_millis(140));
    assert_eq!(stats.snapshot().waited, Duration::ZERO);
}

#[tokio::test]
async fn a_pause_reaches_the_shared_budget_and_holds_this_process() {
    let budget = MemoryBudget::new(Duration::ZERO);
    let limiter = shared(&budget, LONG);
    limiter.pause(Duration::from_millis(150)).await;
    assert_eq!(budget.pauses(), vec![Duration::from_millis(150)]);
    let start = std::time::Instant::now();
    drop(limiter.admit(&Recorder::default()).await.unwrap());
    assert!(start.elapsed() >= Duration::from_millis(140));
}

#[tokio::test]
async fn a_slot_inside_a_later_pause_is_booked_again() {
    let budget = MemoryBudget::new(Duration::from_millis(100));
    let limiter = Arc::new(shared(&budget, LONG));
    let stats = Recorder::default();
    drop(limiter.admit(&stats).await.unwrap()); // the next slot is 100 ms away
    let pauser = Arc::clone(&limiter);
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(20)).await;
        pauser.pause_for(Duration::from_millis(200));
    });
    drop(limiter.admit(&stats).await.unwrap());
    assert_eq!(
        budget.reserved(),
        3,
        "the slot inside the pause is rebooked"
    );
}

#[tokio::test]
async fn an_unreachable_budget_refuses_and_a_far_slot_is_handed_back() {
    let budget = MemoryBudget::new(Duration::from_secs(10));
    let limiter = shared(&budget, Duration::from_secs(1));
    let stats = Recorder::default();
    drop(limiter.admit(&stats).await.unwrap());
    let refused = limiter.admit(&stats).await.unwrap_err();
    assert!(matches!(refused, Refused::Later(w) if w > Duration::from_secs(9)));
    assert_eq!(budget.reserved(), 1, "a slot handed back is not booked");
    budget.unreachable.store(true, SeqCst);
    let refused = limiter.admit(&stats).await.unwrap_err();
    assert!(matches!(refused, Refused::Unreachable(_)), "{refused:?}");
}
