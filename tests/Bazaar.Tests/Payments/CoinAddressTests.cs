using Bazaar.Server.Payments;
using NBitcoin;
using NBitcoin.DataEncoders;

namespace Bazaar.Tests.Payments;

public sealed class CoinAddressTests
{
    // BIP84 test vector: mnemonic "abandon abandon ... about", account m/84'/0'/0'.
    private const string Bip84Zpub = "zpub6rFR7y4Q2AijBEqTUquhVz398htDFrtymD9xYYfG1m4wAcvPhXNfE3EfH1r1ADqtfSdVCToUG868RvUUkgDKf31mGDtKsAYz2oz2AGutZYs";
    // BIP44 account m/44'/0'/0' of the same mnemonic.
    private const string Bip44Xpub = "xpub6BosfCnifzxcFwrSzQiqu2DBVTshkCXacvNsWGYJVVhhawA7d4R5WSWGFNbi8Aw6ZRc1brxMyWMzG3DSSSSoekkudhUd9yLb6qx39T9nMdj";

    [Fact]
    public void A_zpub_derives_the_BIP84_native_segwit_receive_addresses()
    {
        Assert.Equal("bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu", CoinAddresses.Derive(CoinParams.Bitcoin, Bip84Zpub, 0));
        Assert.Equal("bc1qnjg0jd8228aq7egyzacy8cys3knf9xvrerkf9g", CoinAddresses.Derive(CoinParams.Bitcoin, Bip84Zpub, 1));
    }

    [Fact]
    public void An_xpub_derives_legacy_addresses_that_match_NBitcoins_own_mainnet_derivation()
    {
        Assert.Equal("1LqBGSKuX5yYUonjxT5qGfpUsXKYYWeabA", CoinAddresses.Derive(CoinParams.Bitcoin, Bip44Xpub, 0));
        var key = ExtPubKey.Parse(Bip44Xpub, Network.Main);
        for (uint i = 0; i < 5; i++)
            Assert.Equal(key.Derive(0).Derive(i).PubKey.GetAddress(ScriptPubKeyType.Legacy, Network.Main).ToString(),
                CoinAddresses.Derive(CoinParams.Bitcoin, Bip44Xpub, i));
    }

    [Fact]
    public void Litecoin_uses_its_own_prefixes_over_the_same_key_hashes()
    {
        // The same account key serialized as Litecoin's Ltub (version 0x019DA462).
        var raw = Encoders.Base58Check.DecodeData(Bip44Xpub);
        raw[0] = 0x01; raw[1] = 0x9D; raw[2] = 0xA4; raw[3] = 0x62;
        var ltub = Encoders.Base58Check.EncodeData(raw);
        Assert.StartsWith("Ltub", ltub);

        var legacy = CoinAddresses.Derive(CoinParams.Litecoin, ltub, 0);
        Assert.StartsWith("L", legacy);
        var decoded = Encoders.Base58Check.DecodeData(legacy);
        Assert.Equal(0x30, decoded[0]);
        var btcHash = ((BitcoinPubKeyAddress)BitcoinAddress.Create("1LqBGSKuX5yYUonjxT5qGfpUsXKYYWeabA", Network.Main)).Hash.ToBytes();
        Assert.Equal(btcHash, decoded[1..]);

        var segwit = CoinAddresses.Derive(CoinParams.Litecoin, Bip84Zpub, 0);
        Assert.StartsWith("ltc1q", segwit);
        var program = Encoders.Bech32("ltc").Decode(segwit, out var version);
        var btcProgram = Encoders.Bech32("bc").Decode("bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu", out _);
        Assert.Equal(0, version);
        Assert.Equal(btcProgram, program);
    }

    [Fact]
    public void Unsupported_or_broken_keys_are_refused()
    {
        Assert.False(CoinAddresses.IsValidXpub(CoinParams.Bitcoin, "tpubD6NzVbkrYhZ4XgiXtGrdW5XDAPFCL9h7we1vwNCpn8tGbBcgfVYjXyhWo4E1xkh56hjod1RhGjxbaTLV3X4FyWuejifB9jusQ46QzG87VKp"));
        Assert.False(CoinAddresses.IsValidXpub(CoinParams.Bitcoin, Bip84Zpub[..^1] + "x"));
        Assert.True(CoinAddresses.IsValidXpub(CoinParams.Litecoin, Bip84Zpub));
    }
}
