//! The trigger index: which active trigger campaigns listen to an activity, found through a map
//! on (activity type, asset) so that an activity's cost does not grow with the campaigns that
//! cannot match it (LANGUAGE.md 9.4).

use std::collections::{HashMap, HashSet};

use crate::check::ir::{ActivityType, CampaignId, CampaignKind, Program};

/// Which triggers listen to one (activity type, asset) pair: (campaign, trigger index).
type Listeners = Vec<(CampaignId, usize)>;

/// Trigger campaigns by what they listen to.
#[derive(Debug, Default)]
pub struct TriggerIndex {
    /// (type, Some(asset)) for triggers naming an asset, (type, None) for "any".
    by_key: HashMap<(ActivityType, Option<String>), Listeners>,
    /// Activity types some trigger listens to.
    types: HashSet<ActivityType>,
}

impl TriggerIndex {
    /// Indexes every trigger of every trigger campaign (active or not: activation is checked
    /// when an activity is dispatched, so that a request to an inactive campaign can be logged).
    pub fn new(program: &Program) -> TriggerIndex {
        let mut index = TriggerIndex::default();
        for (ci, c) in program.campaigns.iter().enumerate() {
            if c.kind != CampaignKind::Trigger {
                continue;
            }
            for (ti, t) in c.triggers.iter().enumerate() {
                let asset = match t.activity {
                    // A campaign's own `campaign is requested` listens to requests for itself.
                    ActivityType::RequestCampaign => Some(c.name.clone()),
                    _ => t.asset.clone(),
                };
                let mut keys = vec![(t.activity, asset.clone())];
                if t.activity == ActivityType::ChangeDataValue && asset.as_deref() == Some("score")
                {
                    keys.push((ActivityType::ChangeScore, Some("score".to_string())));
                }
                for key in keys {
                    index.types.insert(key.0);
                    index
                        .by_key
                        .entry(key)
                        .or_default()
                        .push((CampaignId(ci as u32), ti));
                }
            }
        }
        index
    }

    /// True when no trigger campaign exists: nothing is ever queued.
    pub fn is_empty(&self) -> bool {
        self.types.is_empty()
    }

    /// Whether any trigger listens to activities of this type.
    pub fn listens(&self, kind: ActivityType) -> bool {
        self.types.contains(&kind)
    }

    /// Whether any trigger could match an activity `(kind, primary)`: the keys
    /// [`TriggerIndex::candidates`] reads.
    pub fn listens_to(&self, kind: ActivityType, primary: Option<&str>) -> bool {
        if !self.types.contains(&kind) {
            return false;
        }
        if self.by_key.contains_key(&(kind, None)) {
            return true;
        }
        primary.is_some_and(|p| self.by_key.contains_key(&(kind, Some(p.to_string()))))
    }

    /// The campaigns (in declaration order, each once) with a trigger on `(kind, primary)`,
    /// with the indices of their triggers to test.
    pub fn candidates(
        &self,
        kind: ActivityType,
        primary: Option<&str>,
    ) -> Vec<(CampaignId, Vec<usize>)> {
        let mut found: Vec<(CampaignId, usize)> = Vec::new();
        if let Some(p) = primary {
            if let Some(v) = self.by_key.get(&(kind, Some(p.to_string()))) {
                found.extend(v);
            }
        }
        if let Some(v) = self.by_key.get(&(kind, None)) {
            found.extend(v);
        }
        found.sort();
        let mut out: Vec<(CampaignId, Vec<usize>)> = Vec::new();
        for (c, t) in found {
            match out.last_mut() {
                Some((last, ts)) if *last == c => ts.push(t),
                _ => out.push((c, vec![t])),
            }
        }
        out
    }
}
