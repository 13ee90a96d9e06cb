using System.Globalization;

namespace Bazaar.Server.Referrals;

/// <summary>
/// A user's referral code, derived from their id (base 36), so every user has one without storing it.
/// Codes are public by design: they only say who invited whom.
/// </summary>
public static class ReferralCodes
{
    public const string StartPrefix = "ref_";
    private const string Digits = "0123456789abcdefghijklmnopqrstuvwxyz";

    public static string Of(long userId)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(userId);
        Span<char> buf = stackalloc char[16];
        var i = buf.Length;
        for (var n = userId; n > 0; n /= 36) buf[--i] = Digits[(int)(n % 36)];
        return new string(buf[i..]);
    }

    public static bool TryParse(string? code, out long userId)
    {
        userId = 0;
        if (string.IsNullOrEmpty(code) || code.Length > 12) return false;
        long n = 0;
        foreach (var ch in code.ToLowerInvariant())
        {
            var d = Digits.IndexOf(ch, StringComparison.Ordinal);
            if (d < 0) return false;
            n = n * 36 + d;
        }
        userId = n;
        return n > 0;
    }

    /// <summary>https://t.me/&lt;bot&gt;?start=ref_&lt;code&gt;, or null while the bot's username is unknown.</summary>
    public static string? Link(string? botUsername, long userId) =>
        string.IsNullOrWhiteSpace(botUsername) ? null
            : string.Create(CultureInfo.InvariantCulture, $"https://t.me/{botUsername.TrimStart('@')}?start={StartPrefix}{Of(userId)}");
}
