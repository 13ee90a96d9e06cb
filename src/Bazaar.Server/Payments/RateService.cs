using System.Text.Json;
using Microsoft.Extensions.Options;

namespace Bazaar.Server.Payments;

/// <summary>
/// Coin prices in the shop currency from a CoinGecko-compatible <c>/simple/price</c> endpoint, cached for
/// <c>Payments:Rates:RefreshMinutes</c>.
/// </summary>
public sealed class RateService(IHttpClientFactory http, IOptions<PaymentsOptions> options, TimeProvider clock)
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<string, (decimal Rate, DateTimeOffset At)> _cache = new();

    public static string CoinGeckoId(PaymentMethod coin) => coin == PaymentMethod.Ltc ? "litecoin" : "bitcoin";

    /// <summary>The price of one whole coin in <paramref name="currency"/>, or null when the rate API can't tell.</summary>
    public async Task<decimal?> GetAsync(PaymentMethod coin, string currency, CancellationToken ct)
    {
        var key = $"{CoinGeckoId(coin)}:{currency.ToLowerInvariant()}";
        var now = clock.GetUtcNow();
        var ttl = TimeSpan.FromMinutes(Math.Max(0, options.Value.Rates.RefreshMinutes));
        await _gate.WaitAsync(ct);
        try
        {
            if (_cache.TryGetValue(key, out var hit) && now - hit.At < ttl) return hit.Rate;
            var vs = currency.ToLowerInvariant();
            var url = $"{options.Value.Rates.Url}?ids=bitcoin,litecoin&vs_currencies={Uri.EscapeDataString(vs)}";
            try
            {
                using var response = await http.CreateClient("rates").GetAsync(url, ct);
                response.EnsureSuccessStatusCode();
                using var doc = JsonDocument.Parse(await response.Content.ReadAsStreamAsync(ct));
                foreach (var id in new[] { "bitcoin", "litecoin" })
                {
                    if (doc.RootElement.TryGetProperty(id, out var o) && o.TryGetProperty(vs, out var v) && v.TryGetDecimal(out var rate) && rate > 0)
                        _cache[$"{id}:{vs}"] = (rate, now);
                }
            }
            catch (Exception e) when (e is HttpRequestException or JsonException or TaskCanceledException && !ct.IsCancellationRequested)
            {
                // A stale rate is better than none for a short outage; none at all is reported as null.
                return _cache.TryGetValue(key, out var stale) ? stale.Rate : null;
            }
            return _cache.TryGetValue(key, out var fresh) ? fresh.Rate : null;
        }
        finally
        {
            _gate.Release();
        }
    }
}
