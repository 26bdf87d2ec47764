using System;
using System.Collections.Generic;
using System.Globalization;

namespace NetGen.Data;

/// <summary>
/// How images become a network's input (ALEXNET.md, "Data"). Every image is first rescaled so its
/// shorter side is <see cref="Size"/> and centre-cropped to a square of that side; the run's mean
/// image (per pixel, over the training set) is subtracted; training then takes a random crop of the
/// network's input size (after zero padding of <see cref="Pad"/> pixels), mirrors it with
/// probability one half, and adds the PCA colour shift.
/// </summary>
/// <param name="Size">The side of the square every image is brought to: 256 for AlexNet.</param>
/// <param name="Pad">Padding (with the mean, so zero after subtraction) around the square before random crops: 0 for AlexNet, a few pixels for 28x28 images.</param>
/// <param name="Flip">Mirror each training crop left to right with probability one half.</param>
/// <param name="ColourStd">The standard deviation of the PCA colour weights alpha (0.1 in the paper; 0 turns it off; colour images only).</param>
/// <param name="Normalise">Also divide by each channel's standard deviation over the training pixels, so inputs have unit scale (for He-initialised networks; the paper does not).</param>
public sealed record Preprocessing(int Size, int Pad, bool Flip, float ColourStd, bool Normalise)
{
    /// <summary>The paper's: 256, no padding, flips, colour std 0.1, no division.</summary>
    public static Preprocessing AlexNet { get; } = new(256, 0, true, 0.1f, false);

    /// <summary>The same settings for a network with input <paramref name="input"/>, from its training-defaults attribute (the paper's when it has none).</summary>
    public static Preprocessing For(TrainingDefaultsAttribute? defaults, Shape input)
    {
        defaults ??= new TrainingDefaultsAttribute();
        int size = defaults.ImageSize > 0 ? defaults.ImageSize : Math.Max(input.Height, input.Width);
        return new Preprocessing(size, defaults.Pad, defaults.Flip, defaults.ColourStd, defaults.Normalise);
    }

    /// <summary>Checks the settings fit an input of <paramref name="input"/>.</summary>
    public void Validate(Shape input)
    {
        if (Size < input.Height || Size < input.Width)
            throw new ArgumentException($"Images brought to {Size}x{Size} cannot be cropped to the network's {input.Height}x{input.Width} input.");
        if (Pad < 0 || ColourStd < 0 || !float.IsFinite(ColourStd))
            throw new ArgumentException($"Padding {Pad} and colour std {ColourStd} must be zero or more.");
    }

    /// <summary>The settings as metadata, to be read back by <see cref="FromMetadata"/>.</summary>
    public IEnumerable<KeyValuePair<string, string>> ToMetadata()
    {
        var c = CultureInfo.InvariantCulture;
        yield return new("preprocessing.size", Size.ToString(c));
        yield return new("preprocessing.pad", Pad.ToString(c));
        yield return new("preprocessing.flip", Flip ? "true" : "false");
        yield return new("preprocessing.colour_std", ColourStd.ToString("R", c));
        yield return new("preprocessing.normalise", Normalise ? "true" : "false");
    }

    /// <summary>Reads what <see cref="ToMetadata"/> wrote; <paramref name="path"/> names the file in errors.</summary>
    public static Preprocessing FromMetadata(string path, IReadOnlyDictionary<string, string> metadata)
    {
        string Get(string key) => metadata.TryGetValue(key, out var value) ? value
            : throw new System.IO.InvalidDataException($"{path}: metadata has no '{key}'; it was not written by netgen train.");
        var c = CultureInfo.InvariantCulture;
        return new Preprocessing(int.Parse(Get("preprocessing.size"), c), int.Parse(Get("preprocessing.pad"), c),
            Get("preprocessing.flip") == "true", float.Parse(Get("preprocessing.colour_std"), c), Get("preprocessing.normalise") == "true");
    }
}
