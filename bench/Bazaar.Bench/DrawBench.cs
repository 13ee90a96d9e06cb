using System.Diagnostics;
using System.Text.Json;
using Bazaar.Server.Giveaways;

namespace Bazaar.Bench;

/// <summary>
/// The fair draw over a big pool: `draw [--participants 1000000] [--winners 1000] [--runs 10]`. Each run does the
/// whole computation a draw does: sort a copy of the ids (given in random order, as a database returns them),
/// hash the list, derive the key, draw the winners; and the verifier's full recomputation, timed separately.
/// Reading the participants from the database is not included (see README).
/// </summary>
public static class DrawBench
{
    public static async Task<int> RunAsync(string[] args)
    {
        int Arg(string name, int fallback) => args.SkipWhile(a => a != name).Skip(1).Select(int.Parse).FirstOrDefault(fallback);
        var n = Arg("--participants", 1_000_000);
        var winners = Arg("--winners", 1_000);
        var runs = Arg("--runs", 10);

        var rng = new Random(7);
        var ids = Enumerable.Range(0, n).Select(i => 1_000_000_000L + i * 13L).ToArray();
        rng.Shuffle(ids);
        var seed = FairDraw.NewSeed();
        var input = new DrawInput(FairDraw.GiveawayDomain, 1, seed, "00000000000000000002c0ffee", ids);

        FairDraw.Draw(input, winners); // warm-up
        var draws = new List<double>();
        DrawOutcome outcome = null!;
        for (var i = 0; i < runs; i++)
        {
            var sw = Stopwatch.StartNew();
            outcome = FairDraw.Draw(input, winners);
            draws.Add(sw.Elapsed.TotalMilliseconds);
        }
        var published = new PublishedDraw
        {
            Domain = input.Domain, DrawId = 1, Commitment = FairDraw.Commitment(seed), Seed = Convert.ToHexStringLower(seed),
            Beacon = input.Beacon, ParticipantListHash = outcome.ParticipantListHash, ParticipantCount = n, EligibleIds = ids,
            WinnerCount = winners, Winners = outcome.Winners,
        };
        var verifies = new List<double>();
        for (var i = 0; i < Math.Max(1, runs / 2); i++)
        {
            var sw = Stopwatch.StartNew();
            if (DrawVerifier.Verify(published).Count != 0) throw new InvalidOperationException("the verifier disagrees");
            verifies.Add(sw.Elapsed.TotalMilliseconds);
        }

        draws.Sort();
        verifies.Sort();
        var result = new
        {
            benchmark = "draw",
            participants = n,
            winners,
            runs,
            draw_ms_median = Math.Round(draws[draws.Count / 2], 1),
            draw_ms_max = Math.Round(draws[^1], 1),
            verify_ms_median = Math.Round(verifies[verifies.Count / 2], 1),
            under_2_s = draws[^1] < 2000,
            machine = $"{Environment.ProcessorCount} cores, shared with other developers' builds",
            at = DateTime.UtcNow,
        };
        var json = JsonSerializer.Serialize(result, new JsonSerializerOptions { WriteIndented = true });
        Console.WriteLine(json);
        var dir = Path.Combine(BenchHost.RepoRoot(), "bench", "results");
        Directory.CreateDirectory(dir);
        await File.WriteAllTextAsync(Path.Combine(dir, "draw.json"), json + "\n");
        return result.under_2_s ? 0 : 1;
    }
}
