using System.Text.Json;
using System.Text.Json.Serialization;

namespace Bazaar.Server.Giveaways;

/// <summary>
/// Everything needed to recompute a draw, as published by <c>GET /api/v1/giveaways/{id}/draw</c> (and by raffles with
/// their own domain). snake_case JSON. See <see cref="FairDraw"/> for the algorithm.
/// </summary>
public sealed record PublishedDraw
{
    public string Algorithm { get; init; } = FairDraw.Method;
    public required string Domain { get; init; }
    public required long DrawId { get; init; }
    public required string Commitment { get; init; }
    /// <summary>Hex of the 32-byte seed; null until the draw.</summary>
    public string? Seed { get; init; }
    public string? Beacon { get; init; }
    /// <summary>Where the beacon comes from, fixed before the draw (e.g. "bitcoin:block:900000").</summary>
    public string? BeaconSource { get; init; }
    public string? ParticipantListHash { get; init; }
    public int ParticipantCount { get; init; }
    public IReadOnlyList<long> EligibleIds { get; init; } = [];
    public int WinnerCount { get; init; }
    public IReadOnlyList<long> Winners { get; init; } = [];
    public IReadOnlyList<PublishedReRoll> ReRolls { get; init; } = [];
    public DateTime? DrawnAt { get; init; }
}

public sealed record PublishedReRoll(int Position, long ParticipantId, string? Reason);

/// <summary>Recomputes a published draw and lists what does not match.</summary>
public static class DrawVerifier
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        WriteIndented = true,
    };

    /// <summary>An empty list when the draw checks out.</summary>
    public static IReadOnlyList<string> Verify(PublishedDraw d)
    {
        var problems = new List<string>();
        if (d.Algorithm != FairDraw.Method) problems.Add($"unknown algorithm '{d.Algorithm}' (this verifier knows '{FairDraw.Method}')");
        if (d.Seed is null) { problems.Add("the seed is not revealed yet (the draw has not happened)"); return problems; }
        byte[] seed;
        try { seed = Convert.FromHexString(d.Seed); }
        catch (FormatException) { problems.Add("the seed is not hex"); return problems; }
        if (seed.Length != FairDraw.SeedBytes) problems.Add($"the seed has {seed.Length} bytes, not {FairDraw.SeedBytes}");
        if (!FairDraw.MatchesCommitment(seed, d.Commitment)) problems.Add("SHA-256(seed) is not the published commitment");

        var sorted = FairDraw.Sorted(d.EligibleIds);
        var listHash = FairDraw.ParticipantListHash(sorted);
        if (d.ParticipantListHash is not null && !string.Equals(listHash, d.ParticipantListHash, StringComparison.OrdinalIgnoreCase))
            problems.Add($"participant_list_hash is {d.ParticipantListHash}, the eligible ids hash to {listHash}");
        if (d.ParticipantCount != sorted.Length) problems.Add($"participant_count is {d.ParticipantCount}, but {sorted.Length} eligible ids are listed");

        DrawOutcome outcome;
        try
        {
            outcome = FairDraw.Replay(new DrawInput(d.Domain, d.DrawId, seed, d.Beacon, sorted), d.WinnerCount,
                d.ReRolls.Select(r => new ReRoll(r.Position, r.ParticipantId)).ToList());
        }
        catch (DrawMismatch e) { problems.Add(e.Message); return problems; }
        if (!outcome.Winners.SequenceEqual(d.Winners))
            problems.Add($"winners recomputed as [{string.Join(", ", outcome.Winners)}], published [{string.Join(", ", d.Winners)}]");
        return problems;
    }
}

/// <summary><c>verify-draw &lt;file-or-url&gt;</c>: exit 0 when the draw checks out, 1 on a mismatch, 2 when it cannot be read.</summary>
public static class VerifyDrawCommand
{
    public static async Task<int> RunAsync(string[] args, TextWriter output, CancellationToken ct = default)
    {
        if (args.Length != 1)
        {
            output.WriteLine("usage: verify-draw <file.json | https://host/api/v1/giveaways/{id}/draw>");
            return 2;
        }
        PublishedDraw? draw;
        try
        {
            var text = Uri.TryCreate(args[0], UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
                ? await new HttpClient { Timeout = TimeSpan.FromSeconds(30) }.GetStringAsync(uri, ct)
                : await File.ReadAllTextAsync(args[0], ct);
            draw = JsonSerializer.Deserialize<PublishedDraw>(text, DrawVerifier.Json);
        }
        catch (Exception e) when (e is IOException or HttpRequestException or JsonException or UnauthorizedAccessException or TaskCanceledException)
        {
            output.WriteLine($"cannot read {args[0]}: {e.Message}");
            return 2;
        }
        if (draw is null) { output.WriteLine($"cannot read {args[0]}: empty document"); return 2; }

        var problems = DrawVerifier.Verify(draw);
        if (problems.Count == 0)
        {
            output.WriteLine($"OK: {draw.Domain} {draw.DrawId}: the seed matches the commitment {draw.Commitment}; " +
                $"{draw.ParticipantCount} eligible participants (hash {draw.ParticipantListHash}); " +
                $"{draw.Winners.Count} winners recomputed and equal to the published ones" +
                (draw.ReRolls.Count > 0 ? $"; {draw.ReRolls.Count} re-roll(s) at positions {string.Join(", ", draw.ReRolls.Select(r => r.Position))}" : ""));
            output.WriteLine($"winners: {string.Join(", ", draw.Winners)}");
            return 0;
        }
        output.WriteLine($"MISMATCH: {draw.Domain} {draw.DrawId}");
        foreach (var p in problems) output.WriteLine($"  - {p}");
        return 1;
    }
}
