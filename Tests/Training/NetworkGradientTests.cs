using System;
using System.Linq;
using NetGen.Networks;
using NetGen.Tests.Infrastructure;
using static NetGen.Tests.Training.ReferenceNet;

namespace NetGen.Tests.Training;

/// <summary>Whole networks: MiniAlexNet against finite differences, AlexNet against the reference chain rule.</summary>
[Collection(AcceleratorCollection.Name)]
public class NetworkGradientTests(AcceleratorFixture fixture)
{
    /// <summary>MiniAlexNet written out by hand from its declaration; shapes worked out in the comments.</summary>
    private static ReferenceNet MiniAlexNetReference(NetworkInfo info, DropoutKey key)
    {
        int P(string name) => (int)info.Parameters.Single(t => t.Name == name).Offset;
        return new ReferenceNet(info,
            new Conv(new(1, 28, 28), 32, 3, 1, 1, 1, new(32, 28, 28), P("conv1.weight"), P("conv1.bias")), new Relu(),
            new Lrn(new(32, 28, 28), 5, 1e-4f, 0.75f, 2f, 2),
            new Pool(true, new(32, 28, 28), 3, 2, 0, new(32, 14, 14)), // ceil((28 - 3) / 2) + 1 = 14
            new Conv(new(32, 14, 14), 64, 3, 1, 1, 1, new(64, 14, 14), P("conv2.weight"), P("conv2.bias")), new Relu(),
            new Lrn(new(64, 14, 14), 5, 1e-4f, 0.75f, 2f, 2),
            new Pool(true, new(64, 14, 14), 3, 2, 0, new(64, 7, 7)), // ceil((14 - 3) / 2) + 1 = 7
            new Conv(new(64, 7, 7), 96, 3, 1, 1, 1, new(96, 7, 7), P("conv3.weight"), P("conv3.bias")), new Relu(),
            new Conv(new(96, 7, 7), 96, 3, 1, 1, 1, new(96, 7, 7), P("conv4.weight"), P("conv4.bias")), new Relu(),
            new Conv(new(96, 7, 7), 64, 3, 1, 1, 1, new(64, 7, 7), P("conv5.weight"), P("conv5.bias")), new Relu(),
            new Dense(64 * 7 * 7, 512, P("fc6.weight"), P("fc6.bias")), new Relu(), new Dropout(5 * 32 + 2, 0.3f, key),
            new Dense(512, 512, P("fc7.weight"), P("fc7.bias")), new Relu(), new Dropout(6 * 32 + 2, 0.3f, key),
            new Dense(512, 10, P("fc8.weight"), P("fc8.bias")));
    }

    [Theory, InlineData(AcceleratorFixture.Kernels), InlineData(AcceleratorFixture.Cpu)]
    public void MiniAlexNetWithDropoutAgainstFiniteDifferences(string device)
    {
        using var net = new MiniAlexNet(fixture[device], seed: 3);
        var images = Numbers.Uniform(4 * 28 * 28, 12);
        var labels = GradientCheck.Labels(4, 10, 13);
        GradientCheck.Run(net, key => MiniAlexNetReference(net.Info, key), images, labels, dropout: true, samples: 3);
    }

    /// <summary>
    /// AlexNet on two images, every backward kernel judged alone: the reference's chain rule in
    /// double, fed the activations and the upstream gradient the generated passes produced, must give
    /// that kernel's parameter gradients and the (masked) gradient of its input. Judging each kernel
    /// on its own inputs keeps float rounding upstream (a near-tie in a max pool, say) out of the verdict.
    /// </summary>
    [Theory, InlineData(AcceleratorFixture.Kernels), InlineData(AcceleratorFixture.Cpu)]
    public void AlexNetStepOnTwoImagesEqualsReferenceChainRule(string device)
    {
        const int batch = 2;
        using var net = new AlexNet(fixture[device], seed: 7);
        // Pixel values in the tens, as mean-subtracted images have: the LRN is then far from the identity.
        var images = Numbers.Uniform(batch * 3 * 227 * 227, 3, 60f);
        int[] labels = [417, 3];
        using var trainer = new AlexNet.Trainer(net, seed: 9);
        var result = trainer.ComputeGradients(images, labels, dropout: true);
        var generated = trainer.ReadGradients();
        var (forward, backward) = trainer.PassesFor(batch);
        double[] A(string name) => ToDouble(forward.Read(name));
        double[] G(string name) => ToDouble(backward.ReadGradient(name));
        var p = ToDouble(net.ReadParameters());
        var key = trainer.TrainingKey;

        // The loss kernel: mean cross-entropy and (p - y) / N from the logits.
        var logits = A("fc8");
        var (loss, _, lossGradients) = new ReferenceNet(net.Info).Backward(logits, labels, p);
        Assert.Equal(loss, result.Loss, 1e-5 * loss);
        Close(lossGradients[0], G("fc8"), "fc8 gradient", 1e-5);

        int P(string name) => (int)net.Info.Parameters.Single(t => t.Name == name).Offset;
        Func<int, double> Relu(string name) { var a = A(name); return i => a[i] > 0 ? 1 : 0; }
        Func<int, double> ReluDropout(string name, int id) { var a = A(name); return i => a[i] > 0 && key.Keeps(id, i, 0.5f) ? 2 : 0; }
        // (group, its input, the operation, the mask of the input's own epilogue, layer whose parameters it holds)
        var groups = new (string Output, string Input, Op Op, Func<int, double>? Mask, string? Layer)[]
        {
            ("fc8", "fc7", new Dense(4096, 1000, P("fc8.weight"), P("fc8.bias")), ReluDropout("fc7", 194), "fc8"),
            ("fc7", "fc6", new Dense(4096, 4096, P("fc7.weight"), P("fc7.bias")), ReluDropout("fc6", 162), "fc7"),
            ("fc6", "conv5.maxpool", new Dense(9216, 4096, P("fc6.weight"), P("fc6.bias")), null, "fc6"),
            ("conv5.maxpool", "conv5", new Pool(true, new(256, 13, 13), 3, 2, 0, new(256, 6, 6)), Relu("conv5"), null),
            ("conv5", "conv4", new Conv(new(384, 13, 13), 256, 3, 1, 1, 2, new(256, 13, 13), P("conv5.weight"), P("conv5.bias")), Relu("conv4"), "conv5"),
            ("conv4", "conv3", new Conv(new(384, 13, 13), 384, 3, 1, 1, 2, new(384, 13, 13), P("conv4.weight"), P("conv4.bias")), Relu("conv3"), "conv4"),
            ("conv3", "conv2.maxpool", new Conv(new(256, 13, 13), 384, 3, 1, 1, 1, new(384, 13, 13), P("conv3.weight"), P("conv3.bias")), null, "conv3"),
            ("conv2.maxpool", "conv2.lrn", new Pool(true, new(256, 27, 27), 3, 2, 0, new(256, 13, 13)), null, null),
            ("conv2.lrn", "conv2", new Lrn(new(256, 27, 27), 5, 1e-4f, 0.75f, 2f, 2), Relu("conv2"), null),
            ("conv2", "conv1.maxpool", new Conv(new(96, 27, 27), 256, 5, 1, 2, 2, new(256, 27, 27), P("conv2.weight"), P("conv2.bias")), null, "conv2"),
            ("conv1.maxpool", "conv1.lrn", new Pool(true, new(96, 55, 55), 3, 2, 0, new(96, 27, 27)), null, null),
            ("conv1.lrn", "conv1", new Lrn(new(96, 55, 55), 5, 1e-4f, 0.75f, 2f, 2), Relu("conv1"), null),
            ("conv1", "input", new Conv(new(3, 227, 227), 96, 11, 4, 0, 1, new(96, 55, 55), P("conv1.weight"), P("conv1.bias")), null, "conv1"),
        };
        var expected = new double[p.Length];
        foreach (var (output, input, op, mask, layer) in groups)
        {
            var dx = op.Backward(input == "input" ? ToDouble(images) : A(input), A(output), G(output), batch, p, expected);
            if (input != "input")
                Close(dx.Select((v, i) => mask is null ? v : v * mask(i)).ToArray(), G(input), $"{output}'s input gradient", 1e-4);
            if (layer is not null)
                foreach (var tensor in new[] { layer + ".weight", layer + ".bias" })
                {
                    var t = net.Info.Parameters.Single(x => x.Name == tensor);
                    Close(expected.AsSpan((int)t.Offset, (int)t.Count).ToArray(), ToDouble(generated.AsSpan((int)t.Offset, (int)t.Count).ToArray()), tensor, 1e-4);
                }
        }
    }

    /// <summary>Max abs difference within <paramref name="tolerance"/> of the expected values' largest magnitude, which must not be zero.</summary>
    private static void Close(double[] expected, double[] actual, string what, double tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = expected.Max(Math.Abs), worst = expected.Zip(actual, (e, a) => Math.Abs(e - a)).Max();
        Assert.True(scale > 0, $"{what}: zero everywhere, which would prove nothing");
        Assert.True(worst <= tolerance * scale, $"{what}: differs from the reference by {worst / scale:E2} of its largest value {scale:E2}");
    }
}
