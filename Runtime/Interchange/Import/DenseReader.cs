using System.Linq;

namespace NetGen.Interchange;

/// <summary>
/// Reads dense layers: Gemm (PyTorch's nn.Linear, weight (units, inputs) with transB = 1, or
/// (inputs, units) without), and MatMul by a constant (inputs, units) with the Add of a bias after
/// it. The weight is stored as NetGen's and PyTorch's (units, inputs).
/// </summary>
internal static class DenseReader
{
    public static ImportStep Gemm(StepReader reader, OnnxNode node)
    {
        var model = reader.Model;
        string x = node.Input(0);
        var input = Flat(reader, node, x);
        if (node.Int("transA", 0) != 0)
            throw model.Refuse(node, "transposes its input (transA = 1); NetGen's dense layer reads each image as a row");
        var b = reader.Floats(node, node.Input(1), "weight");
        if (b.Dimensions.Length != 2)
            throw model.Refuse(node, $"has a weight of dimensions {b.DimensionsText}; a dense layer's is a matrix");
        bool transposed = node.Int("transB", 0) != 0;
        long units = transposed ? b.Dimensions[0] : b.Dimensions[1], inputs = transposed ? b.Dimensions[1] : b.Dimensions[0];
        CheckInputs(model, node, input, inputs);
        var weight = transposed ? b.Floats! : Transpose(b.Floats!, inputs, units);
        Scale(ref weight, node.Float("alpha", 1f));
        float[]? bias = null;
        if (node.Input(2).Length > 0)
        {
            bias = Bias(reader, node, node.Input(2), units);
            Scale(ref bias, node.Float("beta", 1f));
        }
        return new DenseStep(node, x, Output(units), weight, [units, inputs], bias) { WeightName = b.Name };
    }

    public static ImportStep MatMul(StepReader reader, OnnxNode matMul, OnnxNode root, string? biasValue)
    {
        var model = reader.Model;
        string x = matMul.Input(0);
        var input = Flat(reader, matMul, x);
        var b = reader.Floats(matMul, matMul.Input(1), "weight");
        if (b.Dimensions.Length != 2)
            throw model.Refuse(matMul, $"multiplies by a weight of dimensions {b.DimensionsText}; a dense layer's is a matrix");
        long inputs = b.Dimensions[0], units = b.Dimensions[1];
        CheckInputs(model, matMul, input, inputs);
        float[]? bias = biasValue is null ? null : Bias(reader, root, biasValue, units);
        return new DenseStep(root, x, Output(units), Transpose(b.Floats!, inputs, units), [units, inputs], bias) { WeightName = b.Name };
    }

    private static ValueShape Flat(StepReader reader, OnnxNode node, string x)
    {
        var input = reader.Data(node, x);
        return input.Flat ? input
            : throw reader.Model.Refuse(node, $"multiplies a {input} value; a dense layer reads each image flattened (Flatten or Reshape to (N, -1) first)");
    }

    private static void CheckInputs(OnnxModel model, OnnxNode node, ValueShape input, long inputs)
    {
        if (inputs != input.Shape.Size)
            throw model.Refuse(node, $"has a weight for {inputs} inputs but reads {input.Shape.Size}");
    }

    private static ValueShape Output(long units) => new(new Shape(checked((int)units), 1, 1), Flat: true);

    /// <summary>A bias of one value per unit (dimensions [units] or [1, units]), or one value for all, which is repeated.</summary>
    private static float[] Bias(StepReader reader, OnnxNode node, string value, long units)
    {
        var bias = reader.Floats(node, value, "bias");
        bool perUnit = bias.Count == units && bias.Dimensions.Count(d => d != 1) <= 1 && (bias.Dimensions.Length < 2 || bias.Dimensions[^1] == units);
        if (bias.Count == 1)
            return Enumerable.Repeat(bias.Floats![0], checked((int)units)).ToArray();
        return perUnit ? bias.Floats! : throw reader.Model.Refuse(node, $"adds a bias of dimensions {bias.DimensionsText}; a dense layer's bias has one value per unit ({units})");
    }

    /// <summary>(rows, columns) to (columns, rows).</summary>
    private static float[] Transpose(float[] values, long rows, long columns)
    {
        var transposed = new float[values.Length];
        for (long r = 0; r < rows; r++)
            for (long c = 0; c < columns; c++)
                transposed[c * rows + r] = values[r * columns + c];
        return transposed;
    }

    /// <summary>Multiplies by Gemm's alpha or beta, a copy so the model's own array is left alone.</summary>
    private static void Scale(ref float[] values, float factor)
    {
        if (factor != 1f)
            values = values.Select(v => v * factor).ToArray();
    }
}
