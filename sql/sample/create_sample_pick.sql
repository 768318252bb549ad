-- The macro picking an item of a list by a uniform draw u in [0, 1).
-- grain: none (a macro of the generator's connection)
-- params: none
create macro sample_pick(items, u) as items[1 + floor(u * len(items))::bigint]
