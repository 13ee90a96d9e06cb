using System.Security.Claims;
using System.Security.Cryptography;
using System.Text.Encodings.Web;
using Bazaar.Server.Data;
using Bazaar.Server.Hosting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Bazaar.Server.Admin;

/// <summary>
/// <c>Authorization: Bearer &lt;key&gt;</c> for the admin REST API. A key is either the bootstrap key from
/// configuration or one created through the API (<c>bzk_&lt;id&gt;_&lt;secret&gt;</c>, stored as a SHA-256 hash).
/// </summary>
internal sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    IOptions<AdminOptions> admin,
    BazaarDb db,
    TimeProvider clock) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? header = Request.Headers.Authorization;
        if (string.IsNullOrEmpty(header)) return AuthenticateResult.NoResult();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            return AuthenticateResult.Fail("The Authorization header must be 'Bearer <api-key>'.");
        var presented = header["Bearer ".Length..].Trim();

        if (Secrets.AreEqual(presented, admin.Value.ApiKey))
            return Success("bootstrap", 0);

        if (ApiKeys.TryParse(presented, out var keyId, out var secret))
        {
            var key = await db.ApiKeys.FirstOrDefaultAsync(k => k.KeyId == keyId, Context.RequestAborted);
            if (key is not null && key.RevokedAt is null &&
                Secrets.HexEquals(Secrets.Sha256Hex(secret), Convert.FromHexString(key.SecretHash)))
            {
                var now = clock.GetUtcNow().UtcDateTime;
                // A coarse last-used stamp is enough, and saves a write on most requests.
                if (key.LastUsedAt is null || now - key.LastUsedAt > TimeSpan.FromMinutes(1))
                {
                    await db.ApiKeys.Where(k => k.Id == key.Id)
                        .ExecuteUpdateAsync(s => s.SetProperty(k => k.LastUsedAt, now), Context.RequestAborted);
                }
                return Success(key.Name, key.Id);
            }
        }
        return AuthenticateResult.Fail("The API key is not valid.");
    }

    private AuthenticateResult Success(string name, long keyId)
    {
        var identity = new ClaimsIdentity(
            [new Claim(ClaimTypes.Name, name), new Claim("api_key_id", keyId.ToString()), new Claim(ClaimTypes.Role, "admin")],
            SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }
}

public static class ApiKeys
{
    private const string Prefix = "bzk_";

    /// <summary>Makes a new key. The plain key is returned once; only its hash is kept.</summary>
    public static (string PlainKey, string KeyId, string SecretHash) Generate()
    {
        var keyId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        var secret = Secrets.RandomToken(24);
        return ($"{Prefix}{keyId}_{secret}", keyId, Secrets.Sha256Hex(secret));
    }

    public static bool TryParse(string presented, out string keyId, out string secret)
    {
        keyId = secret = "";
        if (!presented.StartsWith(Prefix, StringComparison.Ordinal)) return false;
        var rest = presented[Prefix.Length..];
        var sep = rest.IndexOf('_');
        if (sep != 16) return false;
        keyId = rest[..sep];
        secret = rest[(sep + 1)..];
        return secret.Length > 0;
    }
}
