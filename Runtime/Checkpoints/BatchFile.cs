using System;
using System.IO;
using System.Linq;

namespace NetGen;

/// <summary>
/// A batch in a safetensors file, as <c>netgen step</c> reads it: <c>input</c>, float32 NCHW, and
/// <c>labels</c>, int64 or int32, one per image. PyTorch writes such a file with
/// <c>save_file({"input": x, "labels": y}, path)</c>.
/// </summary>
public sealed record BatchFile(float[] Images, int[] Labels)
{
    /// <summary>Reads the batch, refusing one whose shapes do not fit <paramref name="info"/>'s input and outputs.</summary>
    public static BatchFile Read(string path, NetworkInfo info)
    {
        var file = SafeTensorsFile.Read(path);
        var input = Tensor(file, path, "input");
        var labels = Tensor(file, path, "labels");
        var expected = new long[] { -1, info.Input.Channels, info.Input.Height, info.Input.Width };
        if (input.DType != "F32" || input.Shape.Count != 4 || input.Shape[0] < 1 || !input.Shape.Skip(1).SequenceEqual(expected.Skip(1)))
            throw new InvalidDataException($"{path}: input is {input.DType} {input.ShapeText}; {info.Name} takes F32 (N, {info.Input.Channels}, {info.Input.Height}, {info.Input.Width}).");
        long batch = input.Shape[0];
        if (labels.DType is not ("I64" or "I32") || labels.Shape.Count != 1 || labels.Shape[0] != batch)
            throw new InvalidDataException($"{path}: labels is {labels.DType} {labels.ShapeText}; it must be I64 or I32 ({batch}), one class per image.");
        int classes = info.Output.Size;
        var values = labels.ToInt64s();
        var classesOf = new int[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            if (values[i] < 0 || values[i] >= classes)
                throw new InvalidDataException($"{path}: labels[{i}] is {values[i]}; {info.Name} has classes 0 to {classes - 1}.");
            classesOf[i] = (int)values[i];
        }
        return new BatchFile(input.ToFloats(), classesOf);
    }

    private static SafeTensor Tensor(SafeTensors file, string path, string name) =>
        file.TryGet(name, out var tensor) ? tensor
        : throw new InvalidDataException($"{path}: has no tensor '{name}'; a batch holds 'input' (F32, NCHW) and 'labels' (I64 or I32). It has {string.Join(", ", file.Tensors.Select(t => t.Name))}.");
}
