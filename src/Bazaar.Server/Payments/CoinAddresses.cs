using NBitcoin;
using NBitcoin.Crypto;
using NBitcoin.DataEncoders;

namespace Bazaar.Server.Payments;

public enum AddressType { P2pkh, P2shP2wpkh, P2wpkh }

/// <summary>
/// A coin's address parameters. NBitcoin.Altcoins is not available, so Litecoin's are defined here, and
/// both coins use NBitcoin's primitives (BIP32 derivation, HASH160, Base58Check, Bech32) with them.
/// </summary>
public sealed record CoinParams(string Code, byte PubKeyHashVersion, byte ScriptHashVersion, string Bech32Hrp,
    IReadOnlyDictionary<uint, AddressType> ExtPubKeyVersions)
{
    public static readonly CoinParams Bitcoin = new("btc", 0x00, 0x05, "bc", new Dictionary<uint, AddressType>
    {
        [0x0488B21E] = AddressType.P2pkh,      // xpub
        [0x049D7CB2] = AddressType.P2shP2wpkh, // ypub
        [0x04B24746] = AddressType.P2wpkh,     // zpub
    });

    public static readonly CoinParams Litecoin = new("ltc", 0x30, 0x32, "ltc", new Dictionary<uint, AddressType>
    {
        [0x019DA462] = AddressType.P2pkh,      // Ltub
        [0x0488B21E] = AddressType.P2pkh,      // xpub, as Electrum-LTC exports it
        [0x01B26EF6] = AddressType.P2shP2wpkh, // Mtub
        [0x049D7CB2] = AddressType.P2shP2wpkh, // ypub
        [0x04B24746] = AddressType.P2wpkh,     // zpub
    });

    public static CoinParams For(PaymentMethod method) => method == PaymentMethod.Ltc ? Litecoin : Bitcoin;
}

public static class CoinAddresses
{
    /// <summary>The receive address m/0/index below the given account extended public key.</summary>
    public static string Derive(CoinParams coin, string extPubKey, long index)
    {
        var (key, type) = Parse(coin, extPubKey);
        var child = key.Derive(0).Derive(checked((uint)index));
        var hash = child.PubKey.Hash.ToBytes();
        return type switch
        {
            AddressType.P2pkh => Encoders.Base58Check.EncodeData([coin.PubKeyHashVersion, .. hash]),
            AddressType.P2shP2wpkh => Encoders.Base58Check.EncodeData(
                [coin.ScriptHashVersion, .. Hashes.Hash160([0x00, 0x14, .. hash]).ToBytes()]),
            _ => Encoders.Bech32(coin.Bech32Hrp).Encode(0, hash),
        };
    }

    public static (ExtPubKey Key, AddressType Type) Parse(CoinParams coin, string extPubKey)
    {
        var data = Encoders.Base58Check.DecodeData(extPubKey.Trim());
        if (data.Length != 78) throw new FormatException("An extended public key is 78 bytes.");
        var version = (uint)(data[0] << 24 | data[1] << 16 | data[2] << 8 | data[3]);
        if (!coin.ExtPubKeyVersions.TryGetValue(version, out var type))
            throw new FormatException($"Unsupported extended public key version 0x{version:X8} for {coin.Code}.");
        // The 74 bytes after the version are BIP32's serialization, which ExtPubKey reads directly.
        return (new ExtPubKey(data.AsSpan(4).ToArray()), type);
    }

    public static bool IsValidXpub(CoinParams coin, string? extPubKey)
    {
        if (string.IsNullOrWhiteSpace(extPubKey)) return false;
        try { Parse(coin, extPubKey); return true; }
        catch (FormatException) { return false; }
    }
}
