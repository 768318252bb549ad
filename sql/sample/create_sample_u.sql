-- The macro every random draw goes through: sample_u(seed, stream, row, salt), uniform in
-- [0, 1) from DuckDB's hash. The outer hash matters: DuckDB combines a multi-argument hash
-- by XOR-ing in the last argument's hash, so without re-mixing, two draws of one row that
-- differ only in their salt are a fixed bijection of each other (correlation 0.9).
-- grain: none (a macro of the generator's connection)
-- params: none
create macro sample_u(seed, stream, row_number, salt) as
    ((hash(hash(seed::bigint, stream::bigint, row_number::bigint, salt::bigint)) >> 11)::double
    / 9007199254740992.0)
