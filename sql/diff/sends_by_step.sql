-- The sends a diff finds gained and lost, per step and channel: a send (its send_id, a hash of
-- enrollment, step and contact; the enrollment's a hash of journey, organization and entry
-- time, so the same under both versions) made under the file only is gained, one made under
-- the published version only is lost (tables `published_sends`, `file_sends`: each
-- backtest's rows). Only steps and channels with a difference.
-- grain: one row per step and channel with sends gained or lost
select
    coalesce(file_sends.step_id, published_sends.step_id) as step_id,
    coalesce(file_sends.channel, published_sends.channel) as channel,
    count(*) filter (where published_sends.send_id is null) as gained,
    count(*) filter (where file_sends.send_id is null) as lost
from file_sends
full outer join published_sends on published_sends.send_id = file_sends.send_id
group by 1, 2
having
    count(*) filter (where published_sends.send_id is null) > 0
    or count(*) filter (where file_sends.send_id is null) > 0
order by step_id, channel
