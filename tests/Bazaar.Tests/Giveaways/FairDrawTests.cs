using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Bazaar.Server.Giveaways;

namespace Bazaar.Tests.Giveaways;

public sealed class FairDrawTests
{
    private static readonly byte[] Seed = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();
    private static readonly long[] Ten = [1005, 1001, 1003, 1002, 1004, 1006, 1007, 1008, 1009, 1010];

    private static DrawInput Input(IReadOnlyCollection<long> ids, string? beacon = "00000000000000000001a2b3", byte[]? seed = null,
        string domain = FairDraw.GiveawayDomain, long id = 42) => new(domain, id, seed ?? Seed, beacon, ids);

    [Fact]
    public void The_draw_matches_the_independent_python_reference()
    {
        // Vectors computed by scripts/verify-draw.py (standard-library Python), not by this code.
        Assert.Equal("630dcd2966c4336691125448bbb25b4ff412a49c732db2c8abc1b8581bd710dd", FairDraw.Commitment(Seed));
        var d = FairDraw.Draw(Input(Ten), 3);
        Assert.Equal("ba8bedbc92d3f5f1d8668e2fb5e194ba379fae442838863b53e3f77a3c69ef8f", d.ParticipantListHash);
        Assert.Equal([1002L, 1010, 1005], d.Winners);
        Assert.Equal([1002L, 1010, 1005, 1007, 1009, 1001, 1006, 1004, 1003, 1008], FairDraw.Draw(Input(Ten), 10).Winners);
        Assert.Equal([1003L, 1005, 1010], FairDraw.Draw(Input(Ten, beacon: null), 3).Winners);
    }

    [Fact]
    public void Same_inputs_give_the_same_winners_whatever_the_order_of_the_ids()
    {
        var ids = Enumerable.Range(1, 5000).Select(i => (long)i * 7919 % 100_003).ToArray();
        var a = FairDraw.Draw(Input(ids), 50);
        var b = FairDraw.Draw(Input(ids.Reverse().ToArray()), 50);
        Assert.Equal(a.Winners, b.Winners);
        Assert.Equal(a.ParticipantListHash, b.ParticipantListHash);
        Assert.Equal(50, a.Winners.Distinct().Count());

        // Each input changes the outcome: seed, beacon, draw id, domain, the participant list.
        Assert.NotEqual(a.Winners, FairDraw.Draw(Input(ids, seed: SHA256.HashData(Seed)), 50).Winners);
        Assert.NotEqual(a.Winners, FairDraw.Draw(Input(ids, beacon: "other"), 50).Winners);
        Assert.NotEqual(a.Winners, FairDraw.Draw(Input(ids, id: 43), 50).Winners);
        Assert.NotEqual(a.Winners, FairDraw.Draw(Input(ids, domain: FairDraw.RaffleDomain), 50).Winners);
        Assert.NotEqual(a.Winners, FairDraw.Draw(Input(ids[1..]), 50).Winners);
    }

    [Fact]
    public void More_winners_than_participants_draws_everyone_once_and_an_empty_pool_draws_nobody()
    {
        var d = FairDraw.Draw(Input([3, 1, 2]), 10);
        Assert.Equal([1L, 2, 3], d.Winners.Order());
        Assert.Empty(FairDraw.Draw(Input([]), 5).Winners);
    }

    [Fact]
    public void A_reroll_continues_the_same_stream_and_the_replay_agrees()
    {
        var full = FairDraw.Draw(Input(Ten), 10).Winners; // the whole shuffle order
        var left = full[1];                               // the second winner unsubscribed
        var d = FairDraw.Draw(Input(Ten), 3, id => id != left);
        Assert.Equal([full[0], full[2], full[3]], d.Winners);
        Assert.Equal([new ReRoll(1, left)], d.ReRolls);

        var replay = FairDraw.Replay(Input(Ten), 3, d.ReRolls.ToList());
        Assert.Equal(d.Winners, replay.Winners);
        // A re-roll naming someone else than the one drawn there is caught.
        Assert.Throws<DrawMismatch>(() => FairDraw.Replay(Input(Ten), 3, [new ReRoll(1, full[0])]));
    }

    [Fact]
    public void Rejection_sampling_leaves_no_modulo_bias()
    {
        // m = 3 * 2^62: a plain x mod m would land below 2^62 half the time instead of a third.
        const ulong m = 3UL << 62;
        var stream = new FairDraw.Stream(SHA256.HashData("bias"u8));
        var low = 0;
        const int n = 30_000;
        for (var i = 0; i < n; i++)
            if (stream.Below(m) < 1UL << 62) low++;
        Assert.InRange(low / (double)n, 0.32, 0.347); // 1/3 within ~4 standard deviations
    }

    [Fact]
    public void Positions_are_uniform_over_a_fixed_seed_family_chi_square()
    {
        // 10 participants, 3 winners, 20,000 draws with seeds SHA-256("family/i"): each participant should be
        // at each winning position 1/10 of the time. Critical chi-square, 9 degrees of freedom, p = 0.001: 27.88.
        const int runs = 20_000;
        var counts = new int[3, 10];
        for (var i = 0; i < runs; i++)
        {
            var seed = SHA256.HashData(Encoding.UTF8.GetBytes($"family/{i}"));
            var w = FairDraw.Draw(Input(Ten, seed: seed), 3).Winners;
            for (var p = 0; p < 3; p++) counts[p, (int)(w[p] - 1001)]++;
        }
        for (var p = 0; p < 3; p++)
        {
            var chi = Enumerable.Range(0, 10).Sum(k => Math.Pow(counts[p, k] - runs / 10.0, 2) / (runs / 10.0));
            Assert.True(chi < 27.88, $"position {p}: chi-square {chi:F2}");
        }
    }

    [Fact]
    public void All_orders_of_a_small_pool_are_equally_likely_chi_square()
    {
        // A naive shuffle (swap with any index) makes some of the 6 orders of 3 more likely; Fisher–Yates does not.
        // Critical chi-square, 5 degrees of freedom, p = 0.001: 20.52.
        const int runs = 12_000;
        var counts = new Dictionary<string, int>();
        for (var i = 0; i < runs; i++)
        {
            var seed = SHA256.HashData(Encoding.UTF8.GetBytes($"orders/{i}"));
            var key = string.Join(",", FairDraw.Draw(Input([1, 2, 3], seed: seed), 3).Winners);
            counts[key] = counts.GetValueOrDefault(key) + 1;
        }
        Assert.Equal(6, counts.Count);
        var chi = counts.Values.Sum(c => Math.Pow(c - runs / 6.0, 2) / (runs / 6.0));
        Assert.True(chi < 20.52, $"chi-square {chi:F2}");
    }

    private static PublishedDraw Published(Func<long, bool>? eligible = null)
    {
        var d = FairDraw.Draw(Input(Ten), 3, eligible);
        return new PublishedDraw
        {
            Domain = FairDraw.GiveawayDomain, DrawId = 42, Commitment = FairDraw.Commitment(Seed), Seed = Convert.ToHexStringLower(Seed),
            Beacon = "00000000000000000001a2b3", ParticipantListHash = d.ParticipantListHash, ParticipantCount = d.ParticipantCount,
            EligibleIds = Ten, WinnerCount = 3, Winners = d.Winners,
            ReRolls = d.ReRolls.Select(r => new PublishedReRoll(r.Position, r.ParticipantId, "left a required channel")).ToList(),
        };
    }

    [Fact]
    public void The_verifier_agrees_with_the_draw_and_catches_each_kind_of_tampering()
    {
        var good = Published(id => id != 1010);
        Assert.Empty(DrawVerifier.Verify(good));
        Assert.NotEmpty(DrawVerifier.Verify(good with { Winners = [.. good.Winners.Reverse()] }));
        Assert.NotEmpty(DrawVerifier.Verify(good with { Seed = Convert.ToHexStringLower(SHA256.HashData(Seed)) }));
        Assert.NotEmpty(DrawVerifier.Verify(good with { Commitment = new string('0', 64) }));
        Assert.NotEmpty(DrawVerifier.Verify(good with { EligibleIds = Ten[1..] }));
        Assert.NotEmpty(DrawVerifier.Verify(good with { Beacon = null }));
        Assert.NotEmpty(DrawVerifier.Verify(good with { ReRolls = [] }));
        Assert.NotEmpty(DrawVerifier.Verify(good with { Seed = null }));
    }

    [Fact]
    public async Task The_verify_draw_command_prints_OK_or_MISMATCH_with_its_exit_code()
    {
        var dir = Directory.CreateTempSubdirectory();
        try
        {
            var good = Path.Combine(dir.FullName, "good.json");
            var bad = Path.Combine(dir.FullName, "bad.json");
            var draw = Published(id => id != 1010);
            await File.WriteAllTextAsync(good, JsonSerializer.Serialize(draw, DrawVerifier.Json));
            await File.WriteAllTextAsync(bad, JsonSerializer.Serialize(draw with { Winners = [1001, 1002, 1003] }, DrawVerifier.Json));

            var output = new StringWriter();
            Assert.Equal(0, await VerifyDrawCommand.RunAsync([good], output));
            Assert.StartsWith("OK", output.ToString());
            output = new StringWriter();
            Assert.Equal(1, await VerifyDrawCommand.RunAsync([bad], output));
            Assert.StartsWith("MISMATCH", output.ToString());
            Assert.Equal(2, await VerifyDrawCommand.RunAsync([Path.Combine(dir.FullName, "missing.json")], new StringWriter()));
        }
        finally { dir.Delete(true); }
    }
}
