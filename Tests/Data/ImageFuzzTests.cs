using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.IO.Hashing;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading;
using NetGen.Data;
using NetGen.Tests.Infrastructure;
using Xunit.Abstractions;

namespace NetGen.Tests.Data;

/// <summary>
/// The image reader on the real images in <c>Tests/Data/Images/</c> and on damaged copies of them:
/// every case must end in a decoded image or an <see cref="InvalidDataException"/> naming the file,
/// within a time limit. CI runs a fixed set of cases; <c>NETGEN_FUZZ_CASES=100000</c> (random
/// mutations per seed file, default 300) and <c>NETGEN_FUZZ_SEED</c> run more by hand. A failing input
/// is written to <c>Tests/Data/Images/Regressions/</c> for a human to commit, and every file there is
/// replayed by <see cref="EveryRegressionEndsInAnImageOrAnError"/>.
/// </summary>
public class ImageFuzzTests(ITestOutputHelper output)
{
    /// <summary>
    /// How long one case may take. A hang detector, not a speed assertion: a case takes well under a
    /// millisecond, and a decoder caught in a loop would otherwise hang the test run for ever.
    /// </summary>
    private static readonly TimeSpan CaseLimit = TimeSpan.FromSeconds(2);

    private static string Folder([CallerFilePath] string callerFile = "") => Path.Combine(Path.GetDirectoryName(callerFile)!, "Images");

    private static string RegressionFolder => Path.Combine(Folder(), "Regressions");

    private static string[] SeedFiles() =>
        Directory.GetFiles(Folder()).Where(ImageFile.HasImageExtension).OrderBy(f => f, StringComparer.Ordinal).ToArray();

    [Fact]
    public void EverySeedDecodesInGreyAndColour()
    {
        var seeds = SeedFiles();
        Assert.True(seeds.Length >= 6, $"only {seeds.Length} seed images in {Folder()}");
        foreach (string seed in seeds)
        {
            Assert.Null(ImageFile.HeaderProblem(seed));
            foreach (int channels in (int[])[1, 3])
            {
                var image = ImageFile.Read(seed, channels);
                Assert.Equal((28, 28, channels), (image.Width, image.Height, image.Channels));
            }
        }
    }

    [Fact]
    public void EverySeedShowsTheSameFashionMnistImage()
    {
        // All were made from one Fashion-MNIST image: their grey versions agree up to JPEG and palette losses.
        var reference = ImageFile.Read(Path.Combine(Folder(), "grey.png"), 1);
        var wrong = new List<string>();
        foreach (string seed in SeedFiles().Where(f => !f.EndsWith("grey.png", StringComparison.Ordinal)))
        {
            var grey = ImageFile.Read(seed, 1);
            var tinted = !Path.GetFileName(seed).StartsWith("grey", StringComparison.Ordinal);
            // The tint maps grey g to (20 + 235t, 30 + 120t, 90 - 70t) with t = g / 255, whose luminance (stb's 77, 150, 29 weights) is 33.8 + 0.522 g.
            double error = grey.Pixels.Zip(reference.Pixels, (a, b) => Math.Abs(a - (tinted ? 33.79 + 0.5218 * b : b))).Average();
            if (error >= 6)
                wrong.Add($"{Path.GetFileName(seed)}: mean difference {error:F1} from grey.png");
        }
        Assert.Empty(wrong);
    }

    [Fact]
    public void TheContentDecidesTheFormatNotTheName()
    {
        using var folder = new TemporaryFolder();
        string png = folder.File("really-a-png.jpg"), html = folder.File("page.jpg");
        File.Copy(Path.Combine(Folder(), "colour-rgb.png"), png);
        File.WriteAllText(html, "<html><body>Not found</body></html>");
        Assert.Null(ImageFile.HeaderProblem(png));
        Assert.Equal(28, ImageFile.Read(png, 3).Width);
        Assert.Equal("not a JPEG, PNG, BMP, GIF or TGA file (it starts with 3C 68 74 6D)", ImageFile.HeaderProblem(html));
        var error = Assert.Throws<InvalidDataException>(() => ImageFile.Read(html, 3));
        Assert.Equal($"{html}: not a JPEG, PNG, BMP, GIF or TGA file (it starts with 3C 68 74 6D).", error.Message);
    }

    [Fact]
    public void TheIssue22FileIsRefusedAtOnceWithTheSegmentItOverruns()
    {
        string broken = Path.Combine(RegressionFolder, "broken.jpg");
        Assert.Equal(22, new FileInfo(broken).Length);
        const string Expected = "the APP0 segment at byte 2 claims 8,302 bytes but the file ends after 22";
        Assert.Equal(Expected, ImageFile.HeaderProblem(broken));
        Assert.Equal($"{broken}: {Expected}.", Assert.Throws<InvalidDataException>(() => ImageFile.Read(broken, 3)).Message);
    }

    [Fact]
    public void AHeaderClaimingAHugeImageIsRefusedBeforeAnythingIsAllocated()
    {
        var png = File.ReadAllBytes(Path.Combine(Folder(), "colour-rgb.png"));
        var huge = WithPngSize(png, 100_000, 100_000);
        Assert.Equal("the header claims a 100,000 x 100,000 image, beyond the reader's limit of 134,217,728 pixels and 65,535 on a side",
            ImageFile.HeaderProblem("huge.png", huge));
        Assert.StartsWith("huge.png: the header claims a 100,000 x 100,000 image", Assert.Throws<InvalidDataException>(() => ImageFile.Read("huge.png", huge, 3)).Message);
        // Within the limit but far beyond what 1 KB of deflate can hold.
        var big = WithPngSize(png, 11_000, 11_000);
        Assert.Contains("too few for the 11,000 x 11,000 image the header claims", ImageFile.HeaderProblem("big.png", big));

        var jpeg = File.ReadAllBytes(Path.Combine(Folder(), "colour-baseline.jpg"));
        Assert.Contains("beyond the reader's limit", ImageFile.HeaderProblem("huge.jpg", WithJpegSize(jpeg, 65_535, 65_535)));
        var message = Assert.Throws<InvalidDataException>(() => ImageFile.Read("big.jpg", WithJpegSize(jpeg, 4_000, 4_000), 3)).Message;
        Assert.Contains("too few for the 4,000 x 4,000 image the frame header claims", message);
    }

    [Fact]
    public void StrayBytesBeforeAJpegsFrameHeaderAreSkippedAsStbAndLibjpegSkipThem()
    {
        var jpeg = File.ReadAllBytes(Path.Combine(Folder(), "colour-baseline.jpg"));
        int afterApp0 = 4 + (jpeg[4] << 8 | jpeg[5]);
        byte[] stray = [.. jpeg[..afterApp0], 0x00, 0x12, 0x34, .. jpeg[afterApp0..]];
        Assert.Null(ImageFile.HeaderProblem("stray.jpg", stray));
        Assert.Equal(ImageFile.Read("clean.jpg", jpeg, 3).Pixels, ImageFile.Read("stray.jpg", stray, 3).Pixels);
    }

    [Fact]
    public void AJpegCutInsideItsImageDataIsReportedAsCutOff()
    {
        // The baseline file has one scan, which takes up most of it.
        var jpeg = File.ReadAllBytes(Path.Combine(Folder(), "colour-baseline.jpg"));
        var cut = jpeg[..(jpeg.Length - 100)];
        Assert.Null(ImageFile.HeaderProblem("cut.jpg", cut));
        Assert.Contains("cut off: the file ends after", Assert.Throws<InvalidDataException>(() => ImageFile.Read("cut.jpg", cut, 3)).Message);
    }

    [Fact]
    public void EveryRegressionEndsInAnImageOrAnError()
    {
        var files = Directory.GetFiles(RegressionFolder).Where(f => !f.EndsWith(".md", StringComparison.Ordinal)).ToArray();
        Assert.NotEmpty(files);
        var failures = new List<string>();
        foreach (string file in files)
            if (RunCase(file, File.ReadAllBytes(file), throughFile: true) is { } failure)
                failures.Add(failure);
        Assert.Empty(failures);
    }

    [Fact]
    public void DamagedCopiesOfEverySeedEndInAnImageOrAnError()
    {
        int mutations = int.TryParse(Environment.GetEnvironmentVariable("NETGEN_FUZZ_CASES"), out int n) ? n : 300;
        int seed = int.TryParse(Environment.GetEnvironmentVariable("NETGEN_FUZZ_SEED"), out int s) ? s : 22;
        var random = new Random(seed);
        var seeds = SeedFiles().Select(f => (Name: Path.GetFileName(f), Bytes: File.ReadAllBytes(f))).ToArray();
        var failures = new List<string>();
        int cases = 0;
        var clock = Stopwatch.StartNew();
        var all = seeds.Select(x => x.Bytes).ToArray();
        // Issue 22's file and an empty one, then the damaged copies of each seed.
        var inputs = new[] { ("broken.jpg", (byte[])[0xFF, 0xD8, 0xFF, 0xE0, .. " not really a jpeg"u8]), ("empty.jpg", []) }
            .Concat(seeds.SelectMany(seedFile => Cases(seedFile.Name, seedFile.Bytes, all, random, mutations)
                .Select(c => ($"{c.Kind}-{seedFile.Name}", c.Data))));
        foreach (var (name, data) in inputs)
        {
            cases++;
            // One case in sixteen goes through a file on disk, the rest through the in-memory entry points.
            if (RunCase(name, data, throughFile: cases % 16 == 0) is not { } failure)
                continue;
            failures.Add($"{failure} (input saved as {Save(name, data)})");
            if (failure.Contains("did not finish", StringComparison.Ordinal))
                break; // its thread may still be spinning: stop rather than pile up more
        }
        output.WriteLine($"{cases:N0} cases (seed {seed}, {mutations:N0} mutations per file) in {clock.Elapsed.TotalSeconds:F1} s, " +
            $"{clock.Elapsed.TotalMilliseconds * 1000 / cases:F0} us a case");
        Assert.True(failures.Count == 0, string.Join("\n", failures.Take(20)));
    }

    /// <summary>The damaged copies of one seed file.</summary>
    private static IEnumerable<(string Kind, byte[] Data)> Cases(string name, byte[] bytes, byte[][] all, Random random, int mutations)
    {
        for (int length = 1; length < Math.Min(bytes.Length, 400); length++)
            yield return ($"cut{length}", bytes[..length]);
        for (int length = 400; length < bytes.Length; length += Math.Max(1, bytes.Length / 20))
            yield return ($"cut{length}", bytes[..length]);
        foreach (var (kind, data) in HugeClaims(name, bytes))
            yield return (kind, data);
        for (int i = 0; i < mutations; i++)
        {
            var data = (byte[])bytes.Clone();
            int which = random.Next(7);
            // Half the edits land in the first 64 bytes, where the headers are.
            int Where(int length) => random.Next(2) == 0 ? random.Next(Math.Min(length, 64)) : random.Next(length);
            switch (which)
            {
                case 0: // a few bytes set at random
                    for (int k = random.Next(1, 9); k > 0; k--)
                        data[Where(data.Length)] = (byte)random.Next(256);
                    break;
                case 1: // a few bits flipped
                    for (int k = random.Next(1, 5); k > 0; k--)
                        data[Where(data.Length)] ^= (byte)(1 << random.Next(8));
                    break;
                case 2: // the signature, then random bytes
                    data = [.. bytes[..Math.Min(bytes.Length, random.Next(1, 12))], .. RandomBytes(random, random.Next(2000))];
                    break;
                case 3: // random bytes alone
                    data = RandomBytes(random, random.Next(1, 600));
                    break;
                case 4: // a chunk of some seed spliced in
                {
                    var from = all[random.Next(all.Length)];
                    int start = random.Next(from.Length), count = random.Next(1, Math.Min(200, from.Length - start) + 1), at = Where(data.Length);
                    data = [.. data[..at], .. from.AsSpan(start, count), .. data[(random.Next(2) == 0 ? at : Math.Min(data.Length, at + count))..]];
                    break;
                }
                case 5: // a chunk cut out
                {
                    int at = Where(data.Length), count = random.Next(1, Math.Min(64, data.Length - at) + 1);
                    data = [.. data[..at], .. data[(at + count)..]];
                    break;
                }
                default: // a 16-bit field set to an extreme
                {
                    int at = Where(data.Length - 1);
                    ushort value = (ushort)(random.Next(3) switch { 0 => 0, 1 => 0xFFFF, _ => random.Next(65536) });
                    (data[at], data[at + 1]) = ((byte)(value >> 8), (byte)value);
                    break;
                }
            }
            yield return ($"mutation{i}", data);
        }
    }

    private static byte[] RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    /// <summary>The seed's header edited to claim 100,000 x 100,000 pixels (or the most its format can say), and a size within the limit.</summary>
    private static IEnumerable<(string Kind, byte[] Data)> HugeClaims(string name, byte[] bytes)
    {
        switch (Path.GetExtension(name))
        {
            case ".png":
                yield return ("huge", WithPngSize(bytes, 100_000, 100_000));
                yield return ("big", WithPngSize(bytes, 11_000, 11_000));
                var stale = (byte[])WithPngSize(bytes, 100_000, 100_000).Clone();
                stale[29] ^= 1; // the CRC no longer matches
                yield return ("hugestale", stale);
                break;
            case ".jpg":
                yield return ("huge", WithJpegSize(bytes, 65_535, 65_535));
                yield return ("big", WithJpegSize(bytes, 11_000, 11_000));
                break;
            case ".bmp":
            {
                var data = (byte[])bytes.Clone();
                BitConverter.TryWriteBytes(data.AsSpan(18), 100_000);
                BitConverter.TryWriteBytes(data.AsSpan(22), 100_000);
                yield return ("huge", data);
                break;
            }
            case ".gif" or ".tga":
            {
                var data = (byte[])bytes.Clone();
                int at = name.EndsWith(".gif", StringComparison.Ordinal) ? 6 : 12;
                (data[at], data[at + 1], data[at + 2], data[at + 3]) = (0xFF, 0xFF, 0xFF, 0xFF);
                yield return ("huge", data);
                break;
            }
        }
    }

    /// <summary>A PNG whose header claims <paramref name="width"/> x <paramref name="height"/>, its CRC made to match.</summary>
    private static byte[] WithPngSize(byte[] png, int width, int height)
    {
        var data = (byte[])png.Clone();
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(data.AsSpan(16), width);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(data.AsSpan(20), height);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(data.AsSpan(29), Crc32.HashToUInt32(data.AsSpan(12, 17)));
        return data;
    }

    /// <summary>A JPEG whose frame header claims <paramref name="width"/> x <paramref name="height"/>.</summary>
    private static byte[] WithJpegSize(byte[] jpeg, int width, int height)
    {
        var data = (byte[])jpeg.Clone();
        int sof = 2;
        while (data[sof + 1] is not (0xC0 or 0xC1 or 0xC2))
            sof += 2 + (data[sof + 2] << 8 | data[sof + 3]);
        (data[sof + 5], data[sof + 6], data[sof + 7], data[sof + 8]) = ((byte)(height >> 8), (byte)height, (byte)(width >> 8), (byte)width);
        return data;
    }

    /// <summary>
    /// Runs the header check and the full read on <paramref name="data"/> named <paramref name="name"/>
    /// on a background thread; a description of what went wrong, or null when both ended as they may.
    /// </summary>
    private static string? RunCase(string name, byte[] data, bool throughFile)
    {
        string? failure = null;
        using var folder = throughFile ? new TemporaryFolder() : null;
        string path = name;
        if (folder is not null)
        {
            path = folder.File(Path.GetFileName(name));
            File.WriteAllBytes(path, data);
        }
        var thread = new Thread(() =>
        {
            try
            {
                _ = throughFile ? ImageFile.HeaderProblem(path) : ImageFile.HeaderProblem(path, data);
            }
            catch (Exception e)
            {
                failure = $"{name}: the header check threw {e.GetType().Name}: {e.Message}";
                return;
            }
            foreach (int channels in (int[])[3, 1])
            {
                try
                {
                    var image = throughFile ? ImageFile.Read(path, channels) : ImageFile.Read(path, data, channels);
                    image.Validated();
                    if (image.Channels != channels)
                        failure = $"{name}: read with {channels} channels gave {image.Channels}";
                }
                catch (InvalidDataException e) when (e.Message.StartsWith(path + ": ", StringComparison.Ordinal))
                {
                }
                catch (Exception e)
                {
                    failure = $"{name}: reading threw {e.GetType().Name}: {e.Message}";
                    return;
                }
            }
        }) { IsBackground = true };
        thread.Start();
        if (!thread.Join(CaseLimit))
            return $"{name}: did not finish within {CaseLimit.TotalSeconds} s (a hang)";
        return failure;
    }

    /// <summary>Writes a failing input to the regression folder (unless a file there already holds it); its path.</summary>
    private static string Save(string name, byte[] data)
    {
        Directory.CreateDirectory(RegressionFolder);
        foreach (string existing in Directory.GetFiles(RegressionFolder))
            if (File.ReadAllBytes(existing).AsSpan().SequenceEqual(data))
                return existing;
        string path = Path.Combine(RegressionFolder, $"{Path.GetFileNameWithoutExtension(name)}-{Crc32.HashToUInt32(data):x8}{Path.GetExtension(name)}");
        File.WriteAllBytes(path, data);
        return path;
    }
}
