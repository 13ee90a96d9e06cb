using System.Security.Cryptography;
using System.Text;

namespace Bazaar.Server.Hosting;

/// <summary>Secret comparisons that take the same time whatever the input, so timing reveals nothing.</summary>
public static class Secrets
{
    /// <summary>
    /// Compares two secrets in constant time. Both are hashed first, so neither the length nor the
    /// first differing byte shows in the timing.
    /// </summary>
    public static bool AreEqual(string? presented, string? expected)
    {
        if (presented is null || string.IsNullOrEmpty(expected)) return false;
        Span<byte> a = stackalloc byte[32];
        Span<byte> b = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(presented), a);
        SHA256.HashData(Encoding.UTF8.GetBytes(expected), b);
        return CryptographicOperations.FixedTimeEquals(a, b);
    }

    /// <summary>Compares two hex digests (e.g. HMACs) case-insensitively in constant time.</summary>
    public static bool HexEquals(string? presentedHex, ReadOnlySpan<byte> expected)
    {
        if (presentedHex is null || presentedHex.Length != expected.Length * 2) return false;
        byte[] presented;
        try { presented = Convert.FromHexString(presentedHex); }
        catch (FormatException) { return false; }
        return CryptographicOperations.FixedTimeEquals(presented, expected);
    }

    public static string Sha256Hex(string value) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(value)));

    /// <summary>A URL-safe random token with the given number of random bytes.</summary>
    public static string RandomToken(int bytes = 24) =>
        Base64UrlEncode(RandomNumberGenerator.GetBytes(bytes));

    private static string Base64UrlEncode(byte[] data) =>
        Convert.ToBase64String(data).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}

/// <summary>PBKDF2 password hashes in the form <c>pbkdf2-sha256$iterations$salt$hash</c>.</summary>
public static class PasswordHash
{
    private const int Iterations = 100_000;

    public static string Create(string password)
    {
        var salt = RandomNumberGenerator.GetBytes(16);
        var hash = Rfc2898DeriveBytes.Pbkdf2(password, salt, Iterations, HashAlgorithmName.SHA256, 32);
        return $"pbkdf2-sha256${Iterations}${Convert.ToBase64String(salt)}${Convert.ToBase64String(hash)}";
    }

    public static bool Verify(string password, string stored)
    {
        var parts = stored.Split('$');
        if (parts.Length != 4 || parts[0] != "pbkdf2-sha256" || !int.TryParse(parts[1], out var iterations)) return false;
        var salt = Convert.FromBase64String(parts[2]);
        var expected = Convert.FromBase64String(parts[3]);
        var actual = Rfc2898DeriveBytes.Pbkdf2(password, salt, iterations, HashAlgorithmName.SHA256, expected.Length);
        return CryptographicOperations.FixedTimeEquals(actual, expected);
    }
}
