using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;

namespace NetGen.Tests.Checkpoints;

/// <summary>
/// The safetensors reader and writer against the format itself: files built byte by byte here, and
/// written files taken apart here, without going through the code under test.
/// </summary>
public sealed class SafeTensorsTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void ReadParsesAHandBuiltFile()
    {
        // JSON keys deliberately out of data order (b's data comes second), padded with spaces, and a scalar.
        string json = """{"__metadata__":{"format":"pt"},"b":{"dtype":"I64","shape":[],"data_offsets":[8,16]},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"c":{"dtype":"I32","shape":[1,2],"data_offsets":[16,24]}}   """;
        byte[] file = Bytes.File(json, BitConverter.GetBytes(1.5f), BitConverter.GetBytes(-2.25f),
            BitConverter.GetBytes(-7L), BitConverter.GetBytes(3), BitConverter.GetBytes(-4));
        string path = _temp.Write("hand.safetensors", file);

        var read = SafeTensorsFile.Read(path);

        Assert.Equal(["a", "b", "c"], read.Tensors.Select(t => t.Name)); // in data order
        Assert.Equal("pt", read.Metadata["format"]);
        Assert.Equal([1.5f, -2.25f], read["a"].ToFloats());
        Assert.Equal("F32", read["a"].DType);
        Assert.Equal("(2)", read["a"].ShapeText);
        Assert.Empty(read["b"].Shape);
        Assert.Equal(1, read["b"].ElementCount);
        Assert.Equal("()", read["b"].ShapeText);
        Assert.Equal([-7L], read["b"].ToInt64s());
        Assert.Equal([1L, 2L], read["c"].Shape);
        Assert.Equal([3L, -4L], read["c"].ToInt64s());
        Assert.True(read.TryGet("c", out var c) && c.DType == "I32");
        Assert.False(read.TryGet("d", out _));
        var e = Assert.Throws<InvalidOperationException>(() => read["b"].ToFloats());
        Assert.Contains("b is I64 ()", e.Message);
    }

    [Fact]
    public void WriteLaysOutBytesAsTheSpecSays()
    {
        string path = _temp.File("spec.safetensors");
        SafeTensorsFile.Write(path,
            [SafeTensor.Float32("w", [1f, 2f, 3f, 4f, 5f, 6f], 2, 3), SafeTensor.Int32("n", [7, 8, 9], 3), SafeTensor.Int64("s", [-1L])],
            new Dictionary<string, string> { ["k"] = "v" });
        byte[] file = File.ReadAllBytes(path);

        ulong n = 0;
        for (int i = 7; i >= 0; i--)
            n = n << 8 | file[i];
        Assert.Equal(0UL, (8 + n) % 8); // data starts 8-byte aligned
        Assert.Equal(8 + (long)n + 24 + 12 + 8, file.Length);
        string header = Encoding.UTF8.GetString(file, 8, (int)n);
        Assert.True(header.Length - header.TrimEnd(' ').Length < 8, "padding is fewer than 8 spaces");
        Assert.EndsWith("}", header.TrimEnd(' '));

        using var json = JsonDocument.Parse(header);
        var root = json.RootElement;
        Assert.Equal("v", root.GetProperty("__metadata__").GetProperty("k").GetString());
        AssertEntry(root, "w", "F32", [2, 3], 0, 24);
        AssertEntry(root, "n", "I32", [3], 24, 36);
        AssertEntry(root, "s", "I64", [], 36, 44);

        byte[] expected = [.. new[] { 1f, 2f, 3f, 4f, 5f, 6f }.SelectMany(BitConverter.GetBytes),
            .. new[] { 7, 8, 9 }.SelectMany(BitConverter.GetBytes), .. BitConverter.GetBytes(-1L)];
        Assert.Equal(expected, file.Skip(8 + (int)n));
    }

    [Fact]
    public void WriteMatchesTheReferenceWritersBytes()
    {
        // The byte vectors of the reference (Rust) implementation's own serialization tests: compact
        // JSON, padded with spaces to a multiple of 8, the data right after.
        byte[] data = [.. new[] { 0f, 1f, 2f, 3f, 4f, 5f }.SelectMany(BitConverter.GetBytes)];
        AssertWrites(Bytes.File("""{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}""", data),
            [SafeTensor.Float32("attn.0", [0f, 1f, 2f, 3f, 4f, 5f], 1, 2, 3)]);
        AssertWrites(Bytes.File("""{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}       """, data),
            [SafeTensor.Float32("attn0", [0f, 1f, 2f, 3f, 4f, 5f], 1, 1, 2, 3)]);
        AssertWrites([8, 0, 0, 0, 0, 0, 0, 0, .. "{}      "u8], []);
        AssertWrites([40, 0, 0, 0, 0, 0, 0, 0, .. """{"__metadata__":{"framework":"pt"}}     """u8], [],
            new Dictionary<string, string> { ["framework"] = "pt" });

        void AssertWrites(byte[] expected, SafeTensor[] tensors, Dictionary<string, string>? metadata = null)
        {
            string path = _temp.File("reference.safetensors");
            SafeTensorsFile.Write(path, tensors, metadata);
            Assert.Equal(expected, File.ReadAllBytes(path));
            Assert.Equal(tensors.Length, SafeTensorsFile.Read(path).Tensors.Count);
        }
    }

    [Fact]
    public void RoundTripIsBitExact()
    {
        float[] floats =
        [
            float.NaN, BitConverter.Int32BitsToSingle(0x7FC12345), BitConverter.Int32BitsToSingle(unchecked((int)0xFFC00001)),
            -0f, 0f, float.Epsilon, 1e-40f, -1e-40f, float.PositiveInfinity, float.NegativeInfinity, float.MaxValue, 1f / 3f,
        ];
        long[] longs = [long.MinValue, -1, 0, long.MaxValue];
        string path = _temp.File("exact.safetensors");

        SafeTensorsFile.Write(path, [SafeTensor.Float32("f", floats, 3, 4), SafeTensor.Int64("l", longs, 2, 2)]);
        var read = SafeTensorsFile.Read(path);

        Assert.Equal(floats.Select(BitConverter.SingleToInt32Bits), read["f"].ToFloats().Select(BitConverter.SingleToInt32Bits));
        Assert.Equal(longs, read["l"].ToInt64s());
        Assert.Equal([3L, 4L], read["f"].Shape);
        Assert.Empty(read.Metadata);
    }

    [Fact]
    public void FactoriesCheckTheShape()
    {
        Assert.Throws<ArgumentException>(() => SafeTensor.Float32("x", new float[5], 2, 3));
        Assert.Throws<ArgumentException>(() => SafeTensor.Int64("x", new long[2], -1, -2));
        Assert.Throws<ArgumentException>(() => SafeTensor.Int32("x", new int[2]));
        Assert.Throws<ArgumentException>(() => new SafeTensor("x", "F16", [3], new byte[4]));
        Assert.Throws<ArgumentException>(() => new SafeTensor("x", "F33", [1], new byte[4]));
        var scalar = SafeTensor.Float32("x", [2.5f]);
        Assert.Equal(1, scalar.ElementCount);
        Assert.Equal("()", scalar.ShapeText);
        Assert.Equal("(96, 3, 11, 11)", SafeTensor.Float32("w", new float[96 * 3 * 11 * 11], 96, 3, 11, 11).ShapeText);
        Assert.Equal([7L, 8L], SafeTensor.Int32("i", [7, 8], 2).ToInt64s());
        Assert.Equal(6, new SafeTensor("h", "F16", [3], new byte[6]).ByteCount);
    }

    [Fact]
    public void MissingTensorNamesTheFileAndItsContents()
    {
        string path = _temp.File("named.safetensors");
        SafeTensorsFile.Write(path, [SafeTensor.Float32("a", [1f], 1), SafeTensor.Float32("b", [2f], 1)]);
        var e = Assert.Throws<KeyNotFoundException>(() => SafeTensorsFile.Read(path)["missing"]);
        Assert.StartsWith(path + ": ", e.Message);
        Assert.Contains("'missing'", e.Message);
        Assert.Contains("2 tensors: a, b", e.Message);
    }

    [Fact]
    public void RejectsAFileShorterThanTheLength() =>
        AssertRejected(new byte[] { 1, 0, 0, 0, 0 }, "5 bytes", "too few");

    [Fact]
    public void RejectsAHugeHeaderLengthWithoutAllocating()
    {
        byte[] file = Bytes.File("{}");
        BitConverter.GetBytes(1UL << 60).CopyTo(file, 0);
        AssertRejected(file, "header length 1152921504606846976 is larger than the file");
    }

    [Theory]
    [InlineData("""{"a":{"dtype":"F32",""", "not valid JSON")]
    [InlineData("""[1,2]""", "the header is a JSON array, not an object")]
    [InlineData("""{"a":{"shape":[1],"data_offsets":[0,4]}}""", "tensor 'a' has no dtype")]
    [InlineData("""{"a":{"dtype":"F32","data_offsets":[0,4]}}""", "tensor 'a' has no shape")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1]}}""", "tensor 'a' has no data_offsets")]
    [InlineData("""{"a":{"dtype":"F32","shape":"1","data_offsets":[0,4]}}""", "tensor 'a' has a shape that is a JSON string")]
    [InlineData("""{"a":{"dtype":4,"shape":[1],"data_offsets":[0,4]}}""", "tensor 'a' has a dtype that is a JSON number")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}""", "dimension 1.5 is not a whole number")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0]}}""", "tensor 'a' has data_offsets [0], not two")]
    [InlineData("""{"a":{"dtype":"F33","shape":[1],"data_offsets":[0,4]}}""", "tensor 'a' has unknown dtype 'F33'")]
    [InlineData("""{"a":{"dtype":"F32","shape":[-1,-4],"data_offsets":[0,4]}}""", "negative dimension -1")]
    [InlineData("""{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,4]}}""", "tensor 'a' is F32 (3), 12 bytes, but its data_offsets [0, 4] cover 4")]
    [InlineData("""{"a":{"dtype":"F16","shape":[1],"data_offsets":[0,4]}}""", "tensor 'a' is F16 (1), 2 bytes")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}""", "which end before they begin")]
    [InlineData("""{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"b":{"dtype":"U8","shape":[2],"data_offsets":[1,3]}}""", "tensor 'b' data_offsets [1, 3] overlap tensor 'a' [0, 2]")]
    [InlineData("""{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"b":{"dtype":"U8","shape":[2],"data_offsets":[2,4]}}""", "data bytes [1, 2) belong to no tensor: a hole before tensor 'b'")]
    [InlineData("""{"a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}""", "a hole before tensor 'a'")]
    [InlineData("""{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"a":{"dtype":"U8","shape":[3],"data_offsets":[1,4]}}""", "the header names 'a' twice")]
    [InlineData("""{"__metadata__":{"epoch":3},"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]}}""", "__metadata__ 'epoch' is a JSON number, not a string")]
    [InlineData("""{"a":{"dtype":"U8","shape":[9223372036854775807,2],"data_offsets":[0,4]}}""", "too many elements")]
    public void RejectsMalformedHeaders(string json, string problem) =>
        AssertRejected(Bytes.File(json, new byte[4]), problem);

    [Fact]
    public void RejectsAHeaderThatIsNotUtf8() =>
        AssertRejected(Bytes.File([(byte)'{', (byte)'"', 0xC3, 0x28, (byte)'"', (byte)':', (byte)'1', (byte)'}']), "not valid UTF-8");

    [Fact]
    public void RejectsATruncatedFile()
    {
        string path = _temp.File("cut.safetensors");
        SafeTensorsFile.Write(path, [SafeTensor.Float32("a", [1f, 2f], 2), SafeTensor.Float32("b", [3f, 4f, 5f], 3)]);
        byte[] whole = File.ReadAllBytes(path);
        File.WriteAllBytes(path, whole[..^3]);
        var e = Assert.Throws<InvalidDataException>(() => SafeTensorsFile.Read(path));
        Assert.StartsWith(path + ": ", e.Message);
        Assert.Contains($"truncated: tensor 'b' ends at byte {whole.Length} but the file has {whole.Length - 3}", e.Message);
    }

    [Fact]
    public void RejectsTrailingBytes()
    {
        byte[] file = [.. Bytes.File("""{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}""", [7]), 0, 0, 0, 0];
        AssertRejected(file, "4 trailing bytes after the tensor data");
    }

    [Fact]
    public void WriteRefusesDuplicateNames()
    {
        string path = _temp.File("dup.safetensors");
        var e = Assert.Throws<ArgumentException>(() => SafeTensorsFile.Write(path, [SafeTensor.Float32("a", [1f], 1), SafeTensor.Float32("a", [2f], 1)]));
        Assert.Contains("'a'", e.Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_temp.Path));
    }

    [Fact]
    public void WriteReplacesAnExistingFileAndLeavesNoTemporaryFiles()
    {
        string path = _temp.File("model.safetensors");
        SafeTensorsFile.Write(path, [SafeTensor.Float32("old", [1f, 2f, 3f], 3)]);
        SafeTensorsFile.Write(path, [SafeTensor.Float32("new", [4f], 1)]);

        var read = SafeTensorsFile.Read(path);
        Assert.Equal(["new"], read.Tensors.Select(t => t.Name));
        Assert.Equal([4f], read["new"].ToFloats());
        Assert.Equal([path], Directory.GetFileSystemEntries(_temp.Path));
    }

    [Fact]
    public void AFailedWriteLeavesThePreviousFileIntact()
    {
        string path = _temp.File("model.safetensors");
        SafeTensorsFile.Write(path, [SafeTensor.Float32("a", [1f, 2f], 2)]);
        byte[] before = File.ReadAllBytes(path);

        Assert.Throws<InvalidOperationException>(() => SafeTensorsFile.Write(path, Throwing()));

        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal([path], Directory.GetFileSystemEntries(_temp.Path));

        static IEnumerable<SafeTensor> Throwing()
        {
            yield return SafeTensor.Float32("a", [9f, 9f], 2);
            throw new InvalidOperationException("the device went away");
        }
    }

    [Fact]
    public void WritingOverADirectoryFailsAndCleansUp()
    {
        string target = _temp.File("a-directory");
        Directory.CreateDirectory(target);

        var e = Record.Exception(() => SafeTensorsFile.Write(target, [SafeTensor.Float32("a", [1f], 1)]));

        Assert.True(e is IOException or UnauthorizedAccessException, $"unexpected {e}");
        Assert.True(Directory.Exists(target));
        Assert.Empty(Directory.EnumerateFileSystemEntries(target));
        Assert.Equal([target], Directory.GetFileSystemEntries(_temp.Path));
    }

    private void AssertRejected(byte[] file, params string[] problems)
    {
        string path = _temp.Write("bad.safetensors", file);
        var e = Assert.Throws<InvalidDataException>(() => SafeTensorsFile.Read(path));
        Assert.StartsWith(path + ": ", e.Message);
        foreach (string problem in problems)
            Assert.Contains(problem, e.Message);
    }

    private static void AssertEntry(JsonElement root, string name, string dtype, long[] shape, long begin, long end)
    {
        var entry = root.GetProperty(name);
        Assert.Equal(dtype, entry.GetProperty("dtype").GetString());
        Assert.Equal(shape, entry.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()));
        Assert.Equal([begin, end], entry.GetProperty("data_offsets").EnumerateArray().Select(d => d.GetInt64()));
    }
}

/// <summary>Safetensors files assembled by hand: length prefix, header text, data.</summary>
internal static class Bytes
{
    public static byte[] File(string header, params byte[][] data) => File(Encoding.UTF8.GetBytes(header), data);

    public static byte[] File(byte[] header, params byte[][] data)
    {
        var file = new List<byte>();
        for (int i = 0; i < 8; i++)
            file.Add((byte)((ulong)header.Length >> (8 * i))); // the length, little-endian, byte by byte
        file.AddRange(header);
        foreach (byte[] piece in data)
            file.AddRange(piece);
        return [.. file];
    }
}

/// <summary>A fresh directory under the system's temporary directory, deleted with everything in it.</summary>
internal sealed class TempDirectory : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("netgen-checkpoints-").FullName;

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public string Write(string name, byte[] bytes)
    {
        string path = File(name);
        System.IO.File.WriteAllBytes(path, bytes);
        return path;
    }

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
