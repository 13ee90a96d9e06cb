namespace Bazaar.Server.Raffles;

/// <summary>The <c>Raffles</c> section.</summary>
public sealed class RafflesOptions
{
    /// <summary>How long picked numbers are held for an order that is not paid.</summary>
    public int ReservationMinutes { get; set; } = 15;
    /// <summary>Where payment proofs are stored (relative paths are under the content root).</summary>
    public string ProofFolder { get; set; } = "data/raffle-proofs";
    public long ProofMaxBytes { get; set; } = 5 * 1024 * 1024;
    public string[] ProofContentTypes { get; set; } = ["image/jpeg", "image/png", "image/webp", "application/pdf"];
    /// <summary>Numbers per page of the Telegram number grid.</summary>
    public int GridPageSize { get; set; } = 30;
}
