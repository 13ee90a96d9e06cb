using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace Bazaar.Server.Payments;

/// <summary>Robokassa's payment link and ResultURL signatures.</summary>
public sealed class RobokassaPayments(IOptions<PaymentsOptions> options)
{
    private PaymentsOptions.RobokassaOptions O => options.Value.Robokassa;

    public static string FormatSum(decimal sum) => sum.ToString("0.00", CultureInfo.InvariantCulture);

    /// <summary>The hex hash of the text in the configured algorithm (MD5, SHA256 or SHA512).</summary>
    public static string Hash(string algorithm, string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        var hash = algorithm.ToUpperInvariant() switch
        {
            "SHA256" => SHA256.HashData(bytes),
            "SHA512" => SHA512.HashData(bytes),
            "SHA384" => SHA384.HashData(bytes),
            _ => MD5.HashData(bytes),
        };
        return Convert.ToHexStringLower(hash);
    }

    /// <summary><c>:Shp_a=1:Shp_b=2</c>, sorted by name as Robokassa requires.</summary>
    public static string ShpSuffix(IEnumerable<KeyValuePair<string, string>> shp) =>
        string.Concat(shp.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $":{p.Key}={p.Value}"));

    public string PaymentUrl(Payment p, string description)
    {
        var sum = FormatSum(Wallet.Currencies.ToMajor(p.Amount, p.Currency));
        var shp = new Dictionary<string, string> { ["Shp_user"] = p.UserId.ToString(CultureInfo.InvariantCulture) };
        var signature = Hash(O.HashAlgorithm, $"{O.MerchantLogin}:{sum}:{p.Id}:{O.Password1}{ShpSuffix(shp)}");
        var q = new List<KeyValuePair<string, string>>
        {
            new("MerchantLogin", O.MerchantLogin!), new("OutSum", sum), new("InvId", p.Id.ToString(CultureInfo.InvariantCulture)),
            new("Description", description), new("SignatureValue", signature),
        };
        if (!p.Currency.Equals("RUB", StringComparison.OrdinalIgnoreCase)) q.Add(new("OutSumCurrency", p.Currency));
        if (O.IsTest) q.Add(new("IsTest", "1"));
        q.AddRange(shp);
        return O.PaymentUrl + "?" + string.Join('&', q.Select(kv => $"{Uri.EscapeDataString(kv.Key)}={Uri.EscapeDataString(kv.Value)}"));
    }

    /// <summary>Checks ResultURL's SignatureValue = hash(OutSum:InvId:Password2[:Shp_...]) case-insensitively in constant time.</summary>
    public bool VerifyResult(string outSum, string invId, string? signature, IEnumerable<KeyValuePair<string, string>> shp)
    {
        if (string.IsNullOrEmpty(O.Password2) || string.IsNullOrEmpty(signature)) return false;
        var expected = Hash(O.HashAlgorithm, $"{outSum}:{invId}:{O.Password2}{ShpSuffix(shp)}");
        return Hosting.Secrets.HexEquals(signature, Convert.FromHexString(expected));
    }
}
