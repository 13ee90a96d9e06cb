using System.Buffers;
using System.Buffers.Binary;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace Bazaar.Server.Giveaways;

/// <summary>
/// The provably fair draw, shared by giveaways and raffles. Pure code: no database, no clock, no network.
/// <para><b>Commitment.</b> At creation the server makes a random 32-byte <c>seed</c> and publishes
/// <c>commitment = hex(SHA-256(seed))</c> (lower-case hex). At the draw it reveals <c>seed</c>; anyone checks
/// <c>SHA-256(seed) == commitment</c>.</para>
/// <para><b>Participant list.</b> The eligible participant ids (64-bit integers) are sorted ascending (numerically);
/// <c>participant_list_hash = hex(SHA-256(ids))</c> where the hashed bytes are each id in decimal ASCII followed by
/// one line feed (<c>"17\n42\n1001\n"</c>). The sorted list is the pool, <c>n</c> its length.</para>
/// <para><b>Key.</b> <c>key = HMAC-SHA256(key: seed, message: UTF-8(domain + "\n" + draw_id + "\n" +
/// participant_list_hash + "\n" + beacon))</c>, where <c>domain</c> is <see cref="GiveawayDomain"/> or
/// <see cref="RaffleDomain"/> (so a giveaway and a raffle with the same id never share a stream), <c>draw_id</c> the
/// giveaway's or raffle's id in decimal and <c>beacon</c> the public beacon value fixed in advance (for example a
/// future Bitcoin block hash in hex), or the empty string when there is none.</para>
/// <para><b>Stream.</b> <c>block[i] = HMAC-SHA256(key, i as 8 bytes big-endian)</c> for i = 0, 1, 2, …; each block is
/// read as four unsigned 64-bit big-endian integers, in order, giving the stream <c>x0, x1, x2, …</c>.</para>
/// <para><b>Uniform index below m</b> (no modulo bias): let <c>r = 2^64 mod m</c>; take the next <c>x</c>; if
/// <c>x &gt; 2^64 − 1 − r</c> discard it and take the next; otherwise the index is <c>x mod m</c>.</para>
/// <para><b>Shuffle.</b> A Fisher–Yates shuffle from the front, stopped early: for position p = 0, 1, 2, …: take
/// <c>j = p + uniform(n − p)</c>, swap <c>pool[p]</c> and <c>pool[j]</c>; <c>pool[p]</c> is the participant drawn at
/// position p. Only as many positions are drawn as needed, so 1,000 winners out of a million take 1,000 swaps.</para>
/// <para><b>Winners and re-rolls.</b> Positions are drawn in order. A drawn participant found ineligible (for
/// example unsubscribed when re-checked) is a re-roll: it is published with its position and skipped, and the draw
/// goes on with the next position of the same stream. The winners are the first <c>winner_count</c> accepted
/// positions, in position order (fewer if the pool runs out).</para>
/// </summary>
public static class FairDraw
{
    public const string GiveawayDomain = "bazaar.giveaway.v1";
    public const string RaffleDomain = "bazaar.raffle.v1";
    public const string Method = "hmac-sha256-stream+fisher-yates-rejection/v1";
    public const int SeedBytes = 32;

    public static byte[] NewSeed() => RandomNumberGenerator.GetBytes(SeedBytes);

    public static string Commitment(ReadOnlySpan<byte> seed) => Convert.ToHexStringLower(SHA256.HashData(seed));

    /// <summary>True when the revealed seed is the one committed to (constant-time compare).</summary>
    public static bool MatchesCommitment(ReadOnlySpan<byte> seed, string commitment)
    {
        var expected = Encoding.ASCII.GetBytes(Commitment(seed));
        var given = Encoding.ASCII.GetBytes(commitment.Trim().ToLowerInvariant());
        return CryptographicOperations.FixedTimeEquals(expected, given);
    }

    /// <summary>The ids sorted ascending (a new array; the input is left alone).</summary>
    public static long[] Sorted(IEnumerable<long> ids)
    {
        var a = ids.ToArray();
        if (!IsSorted(a)) Array.Sort(a);
        return a;
    }

    /// <summary>hex(SHA-256) of the sorted ids, each in decimal followed by "\n". <paramref name="sortedIds"/> must be sorted.</summary>
    public static string ParticipantListHash(ReadOnlySpan<long> sortedIds)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            var used = 0;
            foreach (var id in sortedIds)
            {
                if (buffer.Length - used < 21)
                {
                    sha.AppendData(buffer, 0, used);
                    used = 0;
                }
                Utf8Formatter.TryFormat(id, buffer.AsSpan(used), out var written);
                used += written;
                buffer[used++] = (byte)'\n';
            }
            sha.AppendData(buffer, 0, used);
            return Convert.ToHexStringLower(sha.GetHashAndReset());
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Draws winners. <paramref name="isEligible"/> is asked about each drawn participant in order (null: all are);
    /// a refusal is a re-roll. Returns the winners in position order and the re-rolls.
    /// </summary>
    public static DrawOutcome Draw(DrawInput input, int winnerCount, Func<long, bool>? isEligible = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(winnerCount);
        var shuffle = new Shuffle(input);
        var winners = new List<long>(Math.Min(winnerCount, shuffle.Count));
        var reRolls = new List<ReRoll>();
        while (winners.Count < winnerCount && shuffle.TryNext(out var position, out var id))
        {
            if (isEligible is null || isEligible(id)) winners.Add(id);
            else reRolls.Add(new ReRoll(position, id));
        }
        return new DrawOutcome(winners, reRolls, shuffle.ParticipantListHash, shuffle.Count);
    }

    /// <summary>As <see cref="Draw"/>, with an eligibility check that calls out (e.g. getChatMember at draw time).</summary>
    public static async Task<DrawOutcome> DrawAsync(DrawInput input, int winnerCount, Func<long, CancellationToken, Task<string?>> whyIneligible,
        CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(winnerCount);
        var shuffle = new Shuffle(input);
        var winners = new List<long>(Math.Min(winnerCount, shuffle.Count));
        var reRolls = new List<ReRoll>();
        while (winners.Count < winnerCount && shuffle.TryNext(out var position, out var id))
        {
            if (await whyIneligible(id, ct) is { } reason) reRolls.Add(new ReRoll(position, id, reason));
            else winners.Add(id);
        }
        return new DrawOutcome(winners, reRolls, shuffle.ParticipantListHash, shuffle.Count);
    }

    /// <summary>
    /// Replays a published draw: the winners are the first <paramref name="winnerCount"/> positions not among the
    /// published re-rolls (each re-roll must name the participant actually drawn at its position).
    /// </summary>
    public static DrawOutcome Replay(DrawInput input, int winnerCount, IReadOnlyCollection<ReRoll> reRolls)
    {
        var skipped = reRolls.ToDictionary(r => r.Position, r => r.ParticipantId);
        var shuffle = new Shuffle(input);
        var winners = new List<long>();
        var replayed = new List<ReRoll>();
        while (winners.Count < winnerCount && shuffle.TryNext(out var position, out var id))
        {
            if (skipped.TryGetValue(position, out var claimed))
            {
                if (claimed != id) throw new DrawMismatch($"re-roll at position {position} names {claimed}, but {id} was drawn there");
                replayed.Add(new ReRoll(position, id));
            }
            else winners.Add(id);
        }
        if (replayed.Count != skipped.Count) throw new DrawMismatch("a published re-roll lies beyond the positions the draw needed");
        return new DrawOutcome(winners, replayed, shuffle.ParticipantListHash, shuffle.Count);
    }

    /// <summary>The key of the stream (see the class comment).</summary>
    public static byte[] StreamKey(DrawInput input, string participantListHash)
    {
        var context = $"{input.Domain}\n{input.DrawId}\n{participantListHash}\n{input.Beacon ?? ""}";
        return HMACSHA256.HashData(input.Seed, Encoding.UTF8.GetBytes(context));
    }

    private static bool IsSorted(long[] a)
    {
        for (var i = 1; i < a.Length; i++)
            if (a[i - 1] > a[i]) return false;
        return true;
    }

    /// <summary>The HMAC-SHA256 counter stream of unsigned 64-bit integers.</summary>
    public sealed class Stream(byte[] key)
    {
        private readonly byte[] counter = new byte[8];
        private readonly byte[] block = new byte[32];
        private ulong next;
        private int offset = 32;

        public ulong NextUInt64()
        {
            if (offset == 32)
            {
                BinaryPrimitives.WriteUInt64BigEndian(counter, next++);
                HMACSHA256.HashData(key, counter, block);
                offset = 0;
            }
            var x = BinaryPrimitives.ReadUInt64BigEndian(block.AsSpan(offset));
            offset += 8;
            return x;
        }

        /// <summary>A uniform integer in [0, m) by rejection sampling.</summary>
        public ulong Below(ulong m)
        {
            ArgumentOutOfRangeException.ThrowIfZero(m);
            var r = (ulong.MaxValue % m + 1) % m; // 2^64 mod m
            while (true)
            {
                var x = NextUInt64();
                if (x <= ulong.MaxValue - r) return x % m;
            }
        }
    }

    /// <summary>The partial Fisher–Yates shuffle over the sorted pool, one position at a time.</summary>
    private sealed class Shuffle
    {
        private readonly long[] pool;
        private readonly Stream stream;
        private int position;

        public Shuffle(DrawInput input)
        {
            pool = Sorted(input.EligibleIds);
            ParticipantListHash = FairDraw.ParticipantListHash(pool);
            stream = new Stream(StreamKey(input, ParticipantListHash));
        }

        public string ParticipantListHash { get; }
        public int Count => pool.Length;

        public bool TryNext(out int drawnAt, out long id)
        {
            drawnAt = position;
            id = 0;
            if (position >= pool.Length) return false;
            var j = position + (int)stream.Below((ulong)(pool.Length - position));
            (pool[position], pool[j]) = (pool[j], pool[position]);
            id = pool[position++];
            return true;
        }
    }
}

/// <summary>What a draw is computed from. <see cref="EligibleIds"/> need not be sorted (the draw sorts a copy).</summary>
public sealed record DrawInput(string Domain, long DrawId, byte[] Seed, string? Beacon, IReadOnlyCollection<long> EligibleIds);

/// <summary>A drawn participant skipped as ineligible, at its position in the shuffle.</summary>
public sealed record ReRoll(int Position, long ParticipantId, string? Reason = null);

public sealed record DrawOutcome(IReadOnlyList<long> Winners, IReadOnlyList<ReRoll> ReRolls, string ParticipantListHash, int ParticipantCount);

/// <summary>A published draw that does not add up.</summary>
public sealed class DrawMismatch(string message) : Exception(message);
