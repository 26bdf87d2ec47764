using System;
using System.Buffers.Binary;
using System.IO;
using System.IO.Hashing;
using System.Linq;
using Microsoft.Win32.SafeHandles;

namespace NetGen.Data;

/// <summary>The image formats <see cref="ImageStructure"/> knows, decided by a file's content.</summary>
internal enum ImageFormat { Unknown, Jpeg, Png, Bmp, Gif, Tga }

/// <summary>What <see cref="ImageStructure.Check"/> found: a problem (null when none), the format and the size the file claims.</summary>
internal readonly record struct ImageCheck(string? Problem, ImageFormat Format, int Width, int Height);

/// <summary>
/// Bytes of an image file read at chosen offsets: a whole file in memory, or an open file read in
/// small parts (so a header check reads a few hundred bytes of a file of megabytes).
/// </summary>
internal abstract class ImageBytes
{
    public abstract long Length { get; }

    /// <summary>The whole file, when it is in memory (the full check needs it).</summary>
    public virtual byte[]? All => null;

    /// <summary>Fills <paramref name="buffer"/> from <paramref name="offset"/>; false when the file ends first.</summary>
    public bool TryRead(long offset, Span<byte> buffer)
    {
        if (offset < 0 || offset + buffer.Length > Length)
            return false;
        return ReadCore(offset, buffer) == buffer.Length;
    }

    protected abstract int ReadCore(long offset, Span<byte> buffer);

    public sealed class Memory(byte[] bytes) : ImageBytes
    {
        public override long Length => bytes.Length;
        public override byte[] All => bytes;
        protected override int ReadCore(long offset, Span<byte> buffer)
        {
            bytes.AsSpan((int)offset, buffer.Length).CopyTo(buffer);
            return buffer.Length;
        }
    }

    public sealed class File(SafeFileHandle handle) : ImageBytes
    {
        private readonly long length = RandomAccess.GetLength(handle);
        public override long Length => length;
        protected override int ReadCore(long offset, Span<byte> buffer)
        {
            int total = 0;
            while (total < buffer.Length)
            {
                int read = RandomAccess.Read(handle, buffer[total..], offset + total);
                if (read == 0)
                    break;
                total += read;
            }
            return total;
        }
    }
}

/// <summary>
/// Checks an image file's structure before StbImageSharp sees it, so that no file makes the decoder
/// loop, read past its end or allocate for a size the file cannot hold. The format is decided by the
/// content (JPEG, PNG, BMP and GIF by their signatures; TGA, which has none, only by a .tga name).
/// The header check (<c>full: false</c>) reads the headers only, by seeking, for an image folder's
/// thousands of files: a JPEG's segments up to its first scan, a PNG's signature and header chunk, a
/// BMP's, GIF's or TGA's header (each size checked against the file's length). The full check walks
/// every JPEG scan to its end-of-image marker, every PNG chunk (with its CRC) to the end chunk, and a
/// GIF's blocks through its first image.
/// </summary>
internal static class ImageStructure
{
    /// <summary>The most pixels an image may claim (2^27 = 134,217,728, about 11,585 squared): the decoded image is allocated whole.</summary>
    public const long MaxPixels = 1L << 27;

    /// <summary>The longest side an image may claim.</summary>
    public const int MaxSide = 65_535;

    /// <summary>What is wrong with the file (or null), its format and its claimed size.</summary>
    public static ImageCheck Check(ImageBytes file, string extension, bool full)
    {
        long length = file.Length;
        if (length == 0)
            return new("the file is empty, not an image", ImageFormat.Unknown, 0, 0);
        Span<byte> head = stackalloc byte[8];
        int got = (int)Math.Min(8, length);
        if (!file.TryRead(0, head[..got]))
            return new("cannot be read", ImageFormat.Unknown, 0, 0);
        head = head[..got];
        try
        {
            if (head.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xD8, 0xFF]))
                return Jpeg(file, full);
            if (head.SequenceEqual((ReadOnlySpan<byte>)[0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
                return Png(file, full);
            if (head.StartsWith("BM"u8))
                return Bmp(file);
            if (head.StartsWith("GIF87a"u8) || head.StartsWith("GIF89a"u8))
                return Gif(file, full);
            if (extension.Equals(".tga", StringComparison.OrdinalIgnoreCase))
                return Tga(file);
        }
        catch (Problem p)
        {
            return new(p.Message, p.Format, 0, 0);
        }
        return new($"not a JPEG, PNG, BMP, GIF or TGA file (it starts with {Convert.ToHexString(head[..Math.Min(4, head.Length)]).Chunk2()})",
            ImageFormat.Unknown, 0, 0);
    }

    /// <summary>A structural problem, thrown inside a format's walk and returned by <see cref="Check"/>.</summary>
    private sealed class Problem(ImageFormat format, string message) : Exception(message)
    {
        public ImageFormat Format { get; } = format;
    }

    private static string Chunk2(this string hex) => string.Join(' ', hex.Chunk(2).Select(c => new string(c)));

    private static ImageCheck Sized(ImageFormat format, long width, long height, string what)
    {
        if (width <= 0 || height <= 0)
            throw new Problem(format, $"the {what} claims a {width:N0} x {height:N0} image, and an image needs at least one pixel");
        if (width > MaxSide || height > MaxSide || width * height > MaxPixels)
            throw new Problem(format, $"the {what} claims a {width:N0} x {height:N0} image, beyond the reader's limit of {MaxPixels:N0} pixels " +
                $"and {MaxSide:N0} on a side");
        return new(null, format, (int)width, (int)height);
    }

    private static void Read(ImageBytes file, ImageFormat format, long offset, Span<byte> buffer, string what)
    {
        if (!file.TryRead(offset, buffer))
            throw new Problem(format, $"cut off: the file ends after {file.Length:N0} bytes, inside {what} at byte {offset:N0}");
    }

    // ---------------------------------------------------------------- JPEG

    private static string MarkerName(int m) => m switch
    {
        >= 0xC0 and <= 0xCF and not (0xC4 or 0xC8 or 0xCC) => $"SOF{m - 0xC0}",
        0xC4 => "DHT",
        0xCC => "DAC",
        0xDA => "SOS",
        0xDB => "DQT",
        0xDD => "DRI",
        0xD9 => "EOI",
        0xD8 => "SOI",
        0xDC => "DNL",
        >= 0xD0 and <= 0xD7 => $"RST{m - 0xD0}",
        >= 0xE0 and <= 0xEF => $"APP{m - 0xE0}",
        0xFE => "COM",
        _ => $"FF{m:X2}",
    };

    private static int ByteAt(ImageBytes file, ImageFormat format, long offset, string what)
    {
        Span<byte> one = stackalloc byte[1];
        Read(file, format, offset, one, what);
        return one[0];
    }

    /// <summary>The offset of the next FF byte from <paramref name="from"/>, or -1; read in small parts.</summary>
    private static long NextFF(ImageBytes file, long from)
    {
        Span<byte> part = stackalloc byte[4096];
        for (long p = from; p < file.Length; p += part.Length)
        {
            var read = part[..(int)Math.Min(part.Length, file.Length - p)];
            if (!file.TryRead(p, read))
                return -1;
            int i = read.IndexOf((byte)0xFF);
            if (i >= 0)
                return p + i;
        }
        return -1;
    }

    private static ImageCheck Jpeg(ImageBytes file, bool full)
    {
        const ImageFormat F = ImageFormat.Jpeg;
        long length = file.Length, pos = 2, entropyBytes = 0;
        bool dht = false, dqt = false, scanned = false;
        int sof = -1, width = 0, height = 0;
        byte[] ids = [], hs = [], vs = [];
        Span<byte> two = stackalloc byte[2];
        string Missing() => sof < 0 ? "its frame header (SOF)" : !scanned ? "its first scan (SOS)" : "its end-of-image marker (EOI)";
        while (true)
        {
            if (pos >= length)
                throw new Problem(F, $"cut off: the file ends after {length:N0} bytes, before {Missing()}");
            long at = pos;
            int b = ByteAt(file, F, pos++, "a marker");
            if (b != 0xFF && sof < 0)
            {
                // Before the frame header stb_image (and libjpeg, with a warning) skips stray bytes to the next marker.
                at = NextFF(file, at);
                if (at < 0)
                    throw new Problem(F, $"expected a marker at byte {pos - 1:N0}, found {b:X2} and no marker after it, before {Missing()}");
                pos = at + 1;
            }
            else if (b != 0xFF)
                throw new Problem(F, $"expected a marker at byte {at:N0}, found {b:X2}, before {Missing()}");
            int m;
            do
            {
                if (pos >= length)
                    throw new Problem(F, $"cut off: the file ends after {length:N0} bytes, inside the marker at byte {at:N0}, before {Missing()}");
                m = ByteAt(file, F, pos++, "a marker");
            }
            while (m == 0xFF);
            string name = MarkerName(m);
            if (m == 0xD9)
            {
                if (!scanned)
                    throw new Problem(F, $"the end-of-image marker at byte {at:N0} comes before any image data ({Missing()} is missing)");
                long blocks = 0;
                int hMax = hs.Max(), vMax = vs.Max();
                for (int k = 0; k < ids.Length; k++)
                    blocks += ((((long)width * hs[k] + hMax - 1) / hMax + 7) / 8) * ((((long)height * vs[k] + vMax - 1) / vMax + 7) / 8);
                // Every 8x8 block costs at least one bit of Huffman code in some scan.
                if (entropyBytes * 8 < blocks)
                    throw new Problem(F, $"the image data holds {entropyBytes:N0} bytes, too few for the {width:N0} x {height:N0} image the frame header claims " +
                        $"(at least {(blocks + 7) / 8:N0}): a damaged frame header");
                return new(null, F, width, height);
            }
            if (m is >= 0xD0 and <= 0xD7 or 0xD8 or 0x01 or 0xDC or 0xDE or 0xDF or 0x00 or 0xC8 or 0xCC or (>= 0xF0 and <= 0xFD) or (>= 0x02 and <= 0xBF))
                throw new Problem(F, $"an unexpected {name} marker at byte {at:N0}");
            Read(file, F, pos, two, $"the {name} segment's length");
            int segment = BinaryPrimitives.ReadUInt16BigEndian(two);
            if (segment < 2)
                throw new Problem(F, $"the {name} segment at byte {at:N0} claims {segment} bytes, fewer than its own length field");
            if (pos + segment > length)
                throw new Problem(F, $"the {name} segment at byte {at:N0} claims {segment:N0} bytes but the file ends after {length:N0}");
            long next = pos + segment;
            int n = segment - 2;
            if (m is (>= 0xE0 and <= 0xEF) or 0xFE)
            {
                pos = next;
                continue;
            }
            if (m is 0xC3 or (>= 0xC5 and <= 0xC7) or (>= 0xC9 and <= 0xCB) or (>= 0xCD and <= 0xCF))
            {
                string kind = m switch { 0xC3 => "lossless", <= 0xC7 => "hierarchical", <= 0xCB => "arithmetic-coded", _ => "hierarchical arithmetic-coded" };
                throw new Problem(F, $"a {kind} JPEG ({name} frame header at byte {at:N0}), which the decoder does not read (it reads baseline, extended and progressive Huffman JPEGs)");
            }
            var c = new byte[n];
            Read(file, F, pos + 2, c, $"the {name} segment");
            string where = $"the {name} segment at byte {at:N0}";
            switch (m)
            {
                case 0xDB:
                    for (int i = 0; i < n;)
                    {
                        int precision = c[i] >> 4, id = c[i] & 15;
                        if (precision > 1 || id > 3)
                            throw new Problem(F, $"{where} holds a quantisation table with precision {precision} and id {id} (precision 0 or 1, id 0 to 3)");
                        i += 1 + 64 * (precision + 1);
                        if (i > n)
                            throw new Problem(F, $"{where} ends inside a quantisation table");
                    }
                    dqt = true;
                    break;
                case 0xC4:
                    for (int i = 0; i < n;)
                    {
                        int cls = c[i] >> 4, id = c[i] & 15;
                        if (cls > 1 || id > 3)
                            throw new Problem(F, $"{where} holds a Huffman table of class {cls} and id {id} (class 0 or 1, id 0 to 3)");
                        if (i + 17 > n)
                            throw new Problem(F, $"{where} ends inside a Huffman table's code counts");
                        int total = 0, code = 0;
                        for (int bits = 1; bits <= 16; bits++)
                        {
                            int count = c[i + bits];
                            total += count;
                            code += count;
                            if (code > 1 << bits)
                                throw new Problem(F, $"{where} holds a Huffman table with more codes of {bits} bits than fit");
                            code <<= 1;
                        }
                        if (total > 256)
                            throw new Problem(F, $"{where} holds a Huffman table of {total} codes (at most 256)");
                        i += 17 + total;
                        if (i > n)
                            throw new Problem(F, $"{where} ends inside a Huffman table's values");
                    }
                    dht = true;
                    break;
                case 0xDD:
                    if (n != 2)
                        throw new Problem(F, $"{where} claims {segment} bytes; a restart interval takes 4");
                    break;
                case 0xC0 or 0xC1 or 0xC2:
                {
                    if (sof >= 0)
                        throw new Problem(F, $"a second frame header ({name} at byte {at:N0})");
                    if (n < 6)
                        throw new Problem(F, $"{where} is too short for a frame header ({segment} bytes)");
                    if (c[0] != 8)
                        throw new Problem(F, $"the frame header at byte {at:N0} claims {c[0]}-bit samples; the decoder reads 8-bit JPEGs only");
                    height = BinaryPrimitives.ReadUInt16BigEndian(c.AsSpan(1));
                    width = BinaryPrimitives.ReadUInt16BigEndian(c.AsSpan(3));
                    int components = c[5];
                    if (height == 0)
                        throw new Problem(F, $"the frame header at byte {at:N0} claims height 0 (to be given by a DNL marker later), which the decoder does not read");
                    Sized(F, width, height, "frame header");
                    if (components is not (1 or 3 or 4))
                        throw new Problem(F, $"the frame header at byte {at:N0} claims {components} colour components (the decoder reads 1, 3 or 4)");
                    if (n != 6 + 3 * components)
                        throw new Problem(F, $"{where} claims {segment} bytes; a frame header of {components} components takes {8 + 3 * components}");
                    (ids, hs, vs) = (new byte[components], new byte[components], new byte[components]);
                    for (int k = 0; k < components; k++)
                    {
                        (ids[k], hs[k], vs[k]) = (c[6 + 3 * k], (byte)(c[7 + 3 * k] >> 4), (byte)(c[7 + 3 * k] & 15));
                        if (hs[k] is < 1 or > 4 || vs[k] is < 1 or > 4 || c[8 + 3 * k] > 3)
                            throw new Problem(F, $"the frame header at byte {at:N0} gives component {k} sampling {hs[k]}x{vs[k]} and quantisation table {c[8 + 3 * k]} (1 to 4, and 0 to 3)");
                    }
                    sof = m;
                    break;
                }
                case 0xDA:
                {
                    if (sof < 0)
                        throw new Problem(F, $"a scan (SOS at byte {at:N0}) before the frame header (SOF)");
                    if (!dht || !dqt)
                        throw new Problem(F, $"no {(dht ? "quantisation table (DQT)" : "Huffman table (DHT)")} before the scan at byte {at:N0}");
                    int count = n > 0 ? c[0] : 0;
                    if (count < 1 || count > ids.Length || n != 4 + 2 * count)
                        throw new Problem(F, $"{where} claims {segment} bytes and {count} components, which do not agree with each other or with the frame's {ids.Length}");
                    for (int k = 0; k < count; k++)
                        if (Array.IndexOf(ids, c[1 + 2 * k]) < 0 || (c[2 + 2 * k] >> 4) > 3 || (c[2 + 2 * k] & 15) > 3)
                            throw new Problem(F, $"{where} names component {c[1 + 2 * k]} or Huffman table {c[2 + 2 * k]:X2}, which the frame does not have");
                    int start = c[1 + 2 * count], end = c[2 + 2 * count], high = c[3 + 2 * count] >> 4, low = c[3 + 2 * count] & 15;
                    if (sof == 0xC2 ? start > 63 || end > 63 || start > end || high > 13 || low > 13 : start != 0 || high != 0 || low != 0)
                        throw new Problem(F, $"{where} claims spectral selection {start}..{end} and approximation {high}/{low}, which a {(sof == 0xC2 ? "progressive" : "sequential")} JPEG cannot have");
                    scanned = true;
                    if (!full)
                        return new(null, F, width, height);
                    // The entropy-coded data runs to the next marker that is neither a stuffed zero nor a restart.
                    byte[] all = file.All!;
                    long p = next;
                    while (true)
                    {
                        int ff = p < length ? all.AsSpan((int)p).IndexOf((byte)0xFF) : -1;
                        if (ff < 0 || p + ff + 1 >= length)
                            throw new Problem(F, $"cut off: the file ends after {length:N0} bytes, inside the image data of the scan at byte {at:N0} (no end-of-image marker)");
                        p += ff;
                        int after = all[p + 1];
                        if (after == 0 || after is >= 0xD0 and <= 0xD7)
                            p += 2;
                        else if (after == 0xFF)
                            p++;
                        else
                            break;
                    }
                    entropyBytes += p - next;
                    next = p;
                    break;
                }
            }
            pos = next;
        }
    }

    // ---------------------------------------------------------------- PNG

    private static ImageCheck Png(ImageBytes file, bool full)
    {
        const ImageFormat F = ImageFormat.Png;
        long length = file.Length, pos = 8, idatBytes = 0;
        bool palette = false, idat = false;
        int width = 0, height = 0, depth = 0, colour = -1, interlace = 0;
        Span<byte> header = stackalloc byte[8];
        // The bytes the image inflates to: a filter byte per row, or (interlaced) at least the packed pixels.
        long RawBytes()
        {
            int channels = colour switch { 0 or 3 => 1, 4 => 2, 2 => 3, _ => 4 };
            long rowBytes = ((long)width * channels * depth + 7) / 8;
            return interlace == 0 ? height * (1 + rowBytes) : (long)width * height * channels * depth / 8;
        }
        while (true)
        {
            if (pos >= length)
                throw new Problem(F, $"cut off: the file ends after {length:N0} bytes, before its end chunk (IEND)");
            Read(file, F, pos, header, "a chunk header");
            uint size = BinaryPrimitives.ReadUInt32BigEndian(header);
            var typeBytes = header[4..];
            foreach (byte t in typeBytes)
                if (t is not ((>= (byte)'A' and <= (byte)'Z') or (>= (byte)'a' and <= (byte)'z')))
                    throw new Problem(F, $"the chunk at byte {pos:N0} has no valid type ({Convert.ToHexString(typeBytes).Chunk2()})");
            string type = System.Text.Encoding.ASCII.GetString(typeBytes);
            if (size > int.MaxValue)
                throw new Problem(F, $"the {type} chunk at byte {pos:N0} claims {size:N0} bytes, more than PNG allows (2,147,483,647)");
            if (pos + 12 + size > length)
                throw new Problem(F, $"the {type} chunk at byte {pos:N0} claims {size:N0} bytes but the file ends after {length:N0}");
            if (full)
            {
                var chunk = file.All!.AsSpan((int)pos + 4, 4 + (int)size);
                uint stored = BinaryPrimitives.ReadUInt32BigEndian(file.All!.AsSpan((int)pos + 8 + (int)size, 4)), computed = Crc32.HashToUInt32(chunk);
                if (stored != computed)
                    throw new Problem(F, $"the {type} chunk at byte {pos:N0} fails its CRC check (stored {stored:X8}, computed {computed:X8})");
            }
            if (colour < 0 && type != "IHDR")
                throw new Problem(F, $"the first chunk is {type}, not the header (IHDR)");
            string where = $"the {type} chunk at byte {pos:N0}";
            switch (type)
            {
                case "IHDR":
                {
                    if (colour >= 0)
                        throw new Problem(F, $"a second header ({where})");
                    if (size != 13)
                        throw new Problem(F, $"{where} claims {size:N0} bytes; a header takes 13");
                    Span<byte> h = stackalloc byte[13];
                    Read(file, F, pos + 8, h, "the header");
                    uint w = BinaryPrimitives.ReadUInt32BigEndian(h), hh = BinaryPrimitives.ReadUInt32BigEndian(h[4..]);
                    (depth, colour, interlace) = (h[8], h[9], h[12]);
                    bool valid = colour switch
                    {
                        0 => depth is 1 or 2 or 4 or 8 or 16,
                        3 => depth is 1 or 2 or 4 or 8,
                        2 or 4 or 6 => depth is 8 or 16,
                        _ => false,
                    };
                    if (!valid)
                        throw new Problem(F, $"the header claims colour type {colour} at bit depth {depth}, which PNG does not have");
                    if (h[10] != 0 || h[11] != 0 || interlace > 1)
                        throw new Problem(F, $"the header claims compression {h[10]}, filter {h[11]} and interlace {interlace} (0, 0 and 0 or 1)");
                    Sized(F, w, hh, "header");
                    (width, height) = ((int)w, (int)hh);
                    if (full)
                        break;
                    // The header check stops here, having read 33 bytes; the file as a whole must hold the compressed data.
                    long raw = RawBytes();
                    if (length < raw / 1032)
                        throw new Problem(F, $"the file holds {length:N0} bytes, too few for the {width:N0} x {height:N0} image the header claims " +
                            $"(it inflates to {raw:N0} bytes, and deflate packs at most 1,032 to 1, so at least {raw / 1032:N0}): a damaged header");
                    return new(null, F, width, height);
                }
                case "PLTE":
                    if (size % 3 != 0 || size == 0 || size > 768)
                        throw new Problem(F, $"{where} claims {size:N0} bytes; a palette holds 1 to 256 entries of 3");
                    palette = true;
                    break;
                case "IDAT":
                    if (colour == 3 && !palette)
                        throw new Problem(F, $"the image data ({where}) comes before the palette (PLTE) a palette image needs");
                    idat = true;
                    idatBytes += size;
                    break;
                case "IEND":
                {
                    if (!idat)
                        throw new Problem(F, $"no image data (IDAT) before the end chunk (IEND)");
                    long raw = RawBytes();
                    // Deflate cannot compress better than about 1032:1.
                    if (idatBytes < raw / 1032)
                        throw new Problem(F, $"the image data holds {idatBytes:N0} bytes, too few for the {width:N0} x {height:N0} image the header claims " +
                            $"(it inflates to {raw:N0} bytes, and deflate packs at most 1,032 to 1, so at least {raw / 1032:N0}): a damaged header");
                    return new(null, F, width, height);
                }
                default:
                    // stb reads Apple's CgBI; any other critical chunk (upper-case first letter) it cannot skip.
                    if (char.IsAsciiLetterUpper(type[0]) && type != "CgBI")
                        throw new Problem(F, $"an unknown critical chunk ({where}), which the decoder cannot skip");
                    break;
            }
            pos += 12 + size;
        }
    }

    // ---------------------------------------------------------------- BMP

    private static ImageCheck Bmp(ImageBytes file)
    {
        const ImageFormat F = ImageFormat.Bmp;
        long length = file.Length;
        Span<byte> start = stackalloc byte[18];
        Read(file, F, 0, start, "the file header");
        uint offset = BinaryPrimitives.ReadUInt32LittleEndian(start[10..]), size = BinaryPrimitives.ReadUInt32LittleEndian(start[14..]);
        if (size is not (12 or 40 or 56 or 108 or 124))
            throw new Problem(F, $"a BMP header of {size:N0} bytes, which the decoder does not read (it reads 12, 40, 56, 108 and 124)");
        var h = new byte[size];
        Read(file, F, 14, h, "the BMP header");
        long width, height;
        int planes, bits;
        uint compression = 0;
        if (size == 12)
            (width, height, planes, bits) = (BinaryPrimitives.ReadUInt16LittleEndian(h.AsSpan(4)), BinaryPrimitives.ReadUInt16LittleEndian(h.AsSpan(6)),
                BinaryPrimitives.ReadUInt16LittleEndian(h.AsSpan(8)), BinaryPrimitives.ReadUInt16LittleEndian(h.AsSpan(10)));
        else
        {
            (width, height, planes, bits) = (BinaryPrimitives.ReadInt32LittleEndian(h.AsSpan(4)), Math.Abs((long)BinaryPrimitives.ReadInt32LittleEndian(h.AsSpan(8))),
                BinaryPrimitives.ReadUInt16LittleEndian(h.AsSpan(12)), BinaryPrimitives.ReadUInt16LittleEndian(h.AsSpan(14)));
            compression = BinaryPrimitives.ReadUInt32LittleEndian(h.AsSpan(16));
        }
        var result = Sized(F, width, height, "BMP header");
        if (planes != 1 || bits is not (1 or 4 or 8 or 16 or 24 or 32))
            throw new Problem(F, $"the BMP header claims {planes} planes of {bits} bits (1 plane of 1, 4, 8, 16, 24 or 32)");
        if (compression is 1 or 2)
            throw new Problem(F, "a run-length compressed BMP, which the decoder does not read");
        if (!(compression == 0 || compression == 3 && bits is 16 or 32))
            throw new Problem(F, $"the BMP header claims compression {compression} at {bits} bits, which the decoder does not read");
        long rowBytes = (width * bits + 31) / 32 * 4, end = offset + rowBytes * height;
        if (offset < 14 + size)
            throw new Problem(F, $"the pixel data offset ({offset:N0}) points inside the header");
        if (end > length)
            throw new Problem(F, $"cut off: the {width:N0} x {height:N0} pixels at {bits} bits run from byte {offset:N0} to {end:N0}, but the file ends after {length:N0}");
        return result;
    }

    // ---------------------------------------------------------------- GIF

    private static ImageCheck Gif(ImageBytes file, bool full)
    {
        const ImageFormat F = ImageFormat.Gif;
        long length = file.Length;
        Span<byte> screen = stackalloc byte[13];
        Read(file, F, 0, screen, "the logical screen descriptor");
        int width = BinaryPrimitives.ReadUInt16LittleEndian(screen[6..]), height = BinaryPrimitives.ReadUInt16LittleEndian(screen[8..]);
        var result = Sized(F, width, height, "logical screen descriptor");
        // LZW codes of 12 bits stand for at most 4,096 pixels, so a file holds at least one byte per 2,731 pixels.
        if (length * 2731 < (long)width * height)
            throw new Problem(F, $"the logical screen claims {width:N0} x {height:N0} pixels, too many for a file of {length:N0} bytes: a damaged header");
        bool globalTable = (screen[10] & 0x80) != 0;
        long pos = 13 + (globalTable ? 3 << ((screen[10] & 7) + 1) : 0);
        if (pos > length)
            throw new Problem(F, $"cut off: the file ends after {length:N0} bytes, inside the global colour table");
        while (true)
        {
            int block = ByteAt(file, F, pos, "the block structure (before the first image)");
            if (!full && block is 0x21 or 0x2C)
                return result;
            switch (block)
            {
                case 0x21:
                    ByteAt(file, F, pos + 1, "an extension");
                    pos = SubBlocks(file, pos + 2, "an extension", out _);
                    break;
                case 0x2C:
                {
                    Span<byte> d = stackalloc byte[10];
                    Read(file, F, pos, d, "an image descriptor");
                    int x = BinaryPrimitives.ReadUInt16LittleEndian(d[1..]), y = BinaryPrimitives.ReadUInt16LittleEndian(d[3..]);
                    int w = BinaryPrimitives.ReadUInt16LittleEndian(d[5..]), h = BinaryPrimitives.ReadUInt16LittleEndian(d[7..]);
                    if (x + w > width || y + h > height)
                        throw new Problem(F, $"the image at byte {pos:N0} ({w} x {h} at {x}, {y}) does not fit the {width} x {height} screen");
                    bool localTable = (d[9] & 0x80) != 0;
                    if (!localTable && !globalTable)
                        throw new Problem(F, $"the image at byte {pos:N0} has no colour table");
                    pos += 10 + (localTable ? 3 << ((d[9] & 7) + 1) : 0);
                    int codeSize = ByteAt(file, F, pos, "the image's LZW code size");
                    if (codeSize is < 1 or > 11)
                        throw new Problem(F, $"the image's LZW code size is {codeSize} (1 to 11)");
                    SubBlocks(file, pos + 1, "the first image's data", out long data);
                    if (data * 2731 < (long)w * h)
                        throw new Problem(F, $"the first image's data holds {data:N0} bytes, too few for {w:N0} x {h:N0} pixels: a damaged descriptor");
                    return result;
                }
                case 0x3B:
                    throw new Problem(F, $"no image before the trailer at byte {pos:N0}");
                default:
                    throw new Problem(F, $"an unknown block (introduced by {block:X2}) at byte {pos:N0}");
            }
        }
    }

    /// <summary>Follows a chain of GIF sub-blocks from <paramref name="pos"/> to its empty block; the position after it.</summary>
    private static long SubBlocks(ImageBytes file, long pos, string what, out long data)
    {
        data = 0;
        while (true)
        {
            int n = ByteAt(file, ImageFormat.Gif, pos, what);
            pos += 1 + n;
            data += n;
            if (n == 0)
                return pos;
            if (pos > file.Length)
                throw new Problem(ImageFormat.Gif, $"cut off: the file ends after {file.Length:N0} bytes, inside {what}");
        }
    }

    // ---------------------------------------------------------------- TGA

    private static ImageCheck Tga(ImageBytes file)
    {
        const ImageFormat F = ImageFormat.Tga;
        long length = file.Length;
        Span<byte> h = stackalloc byte[18];
        if (!file.TryRead(0, h))
            throw new Problem(F, $"not a TGA file: {length:N0} bytes, shorter than a TGA header (18)");
        int mapType = h[1], type = h[2], mapLength = BinaryPrimitives.ReadUInt16LittleEndian(h[5..]), mapBits = h[7], bits = h[16];
        int width = BinaryPrimitives.ReadUInt16LittleEndian(h[12..]), height = BinaryPrimitives.ReadUInt16LittleEndian(h[14..]);
        if (mapType > 1 || type is not (1 or 2 or 3 or 9 or 10 or 11))
            throw new Problem(F, $"not a TGA file the decoder reads (colour-map type {mapType}, image type {type}; it reads types 1, 2, 3, 9, 10 and 11)");
        bool mapped = type is 1 or 9;
        bool valid = mapped ? (mapType == 1 && mapLength > 0 && bits is 8 or 16) : (type is 2 or 10) ? (bits is 15 or 16 or 24 or 32) : (bits is 8 or 16);
        if (!valid || mapType == 1 && mapBits is not (15 or 16 or 24 or 32))
            throw new Problem(F, $"the TGA header claims image type {type} with {bits}-bit pixels and a {mapLength}-entry colour map of {mapBits} bits, which the decoder does not read");
        var result = Sized(F, width, height, "TGA header");
        long data = 18 + h[0] + (mapType == 1 ? mapLength * ((mapBits + 7) / 8) : 0), pixelBytes = (bits + 7) / 8, pixels = (long)width * height;
        // Run-length packets hold at most 128 pixels each.
        long need = data + (type < 9 ? pixels * pixelBytes : (pixels + 127) / 128 * (1 + pixelBytes));
        if (need > length)
            throw new Problem(F, $"cut off: a {width:N0} x {height:N0} TGA image at {bits} bits needs at least {need:N0} bytes, but the file ends after {length:N0}");
        return result;
    }
}
