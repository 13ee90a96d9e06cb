using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Bazaar.Tests.Fakes;

/// <summary>
/// Two outside services crypto payments need, on 127.0.0.1 with their real JSON:
/// an Esplora API per chain under <c>/{chain}</c> (<c>GET /blocks/tip/height</c>, <c>GET /block-height/{h}</c>, <c>GET /address/{addr}/txs</c>),
/// and CoinGecko's <c>GET /api/v3/simple/price?ids=..&amp;vs_currencies=..</c>.
/// </summary>
public sealed class FakeChainApis : IAsyncDisposable
{
    private sealed class Tx
    {
        public required string Txid { get; init; }
        public required List<(string Address, long Sats)> Outputs { get; init; }
        public long? BlockHeight { get; set; }
    }

    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, long> _tips = new() { ["btc"] = 900_000, ["ltc"] = 2_900_000 };
    private readonly ConcurrentDictionary<string, ConcurrentQueue<Tx>> _txs = new();
    private readonly ConcurrentDictionary<string, decimal> _prices = new();
    private int _priceCalls;

    public string BaseUrl { get; }
    public string EsploraUrl(string chain) => $"{BaseUrl}/{chain}";
    public string RatesUrl => $"{BaseUrl}/api/v3/simple/price";
    public int PriceCalls => _priceCalls;

    private FakeChainApis(WebApplication app, string baseUrl) { _app = app; BaseUrl = baseUrl; }

    public static async Task<FakeChainApis> StartAsync()
    {
        FakeChainApis? fake = null;
        var (app, url) = await FakeHttpServer.StartAsync(a =>
        {
            a.MapGet("/{chain}/blocks/tip/height", (string chain) => Results.Text(fake!._tips.GetValueOrDefault(chain).ToString(), "text/plain"));
            // A mined block's hash (deterministic per chain and height); 404 "Block not found" above the tip.
            a.MapGet("/{chain}/block-height/{height:long}", (string chain, long height) => height > fake!._tips.GetValueOrDefault(chain)
                ? Results.Text("Block not found", "text/plain", statusCode: 404)
                : Results.Text(BlockHash(chain, height), "text/plain"));
            a.MapGet("/{chain}/address/{address}/txs", (string chain, string address) => fake!.AddressTxs(chain, address));
            a.MapGet("/api/v3/simple/price", (string ids, string vs_currencies) => fake!.Prices(ids, vs_currencies));
        });
        fake = new FakeChainApis(app, url);
        return fake;
    }

    public void SetPrice(string coinGeckoId, string vs, decimal price) => _prices[$"{coinGeckoId}:{vs}"] = price;

    public void SetTip(string chain, long height) => _tips[chain] = height;

    public static string BlockHash(string chain, long height) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"{chain}:{height}")));
    public long Tip(string chain) => _tips[chain];

    /// <summary>A transaction paying <paramref name="sats"/> to the address (plus change elsewhere), unconfirmed unless a height is given.</summary>
    public string Pay(string chain, string address, long sats, long? blockHeight = null)
    {
        var txid = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        _txs.GetOrAdd(chain, _ => new()).Enqueue(new Tx
        {
            Txid = txid, BlockHeight = blockHeight,
            Outputs = [("bc1qchangechangechangechangechangechangexx", 12_345), (address, sats)],
        });
        return txid;
    }

    public void Confirm(string chain, string txid, long height)
    {
        foreach (var tx in _txs.GetOrAdd(chain, _ => new()).Where(t => t.Txid == txid)) tx.BlockHeight = height;
    }

    /// <summary>While set, address lookups answer JSON that is not Esplora's shape (a broken or changed explorer).</summary>
    public bool Garbled { get; set; }

    private IResult AddressTxs(string chain, string address)
    {
        if (Garbled) return Results.Content("[{\"unexpected\":true}]", "application/json");
        var list = new JsonArray();
        foreach (var tx in _txs.GetOrAdd(chain, _ => new()).Where(t => t.Outputs.Any(o => o.Address == address)).Reverse())
        {
            var vout = new JsonArray();
            foreach (var (a, sats) in tx.Outputs)
            {
                vout.Add(new JsonObject
                {
                    ["scriptpubkey"] = "0014" + new string('0', 40),
                    ["scriptpubkey_asm"] = "OP_0 OP_PUSHBYTES_20 " + new string('0', 40),
                    ["scriptpubkey_type"] = "v0_p2wpkh",
                    ["scriptpubkey_address"] = a,
                    ["value"] = sats,
                });
            }
            var status = tx.BlockHeight is { } h
                ? new JsonObject { ["confirmed"] = true, ["block_height"] = h, ["block_hash"] = new string('a', 64), ["block_time"] = 1_764_000_000 }
                : new JsonObject { ["confirmed"] = false };
            list.Add(new JsonObject
            {
                ["txid"] = tx.Txid, ["version"] = 2, ["locktime"] = 0, ["size"] = 222, ["weight"] = 561, ["fee"] = 1410,
                ["vin"] = new JsonArray(), ["vout"] = vout, ["status"] = status,
            });
        }
        return Results.Content(list.ToJsonString(), "application/json");
    }

    /// <summary>While true, the rate API answers 503.</summary>
    public volatile bool RatesDown;

    private IResult Prices(string ids, string vs)
    {
        Interlocked.Increment(ref _priceCalls);
        if (RatesDown) return Results.Content("""{"status":{"error_code":503,"error_message":"down"}}""", "application/json", statusCode: 503);
        var o = new JsonObject();
        foreach (var id in ids.Split(','))
        {
            var inner = new JsonObject();
            foreach (var v in vs.Split(','))
                if (_prices.TryGetValue($"{id}:{v}", out var p)) inner[v] = p;
            o[id] = inner;
        }
        return Results.Content(o.ToJsonString(), "application/json");
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
