using System.Linq;
using NetGen.Networks;
using NetGen.Tests.Infrastructure;

namespace NetGen.Tests.Kernels;

/// <summary>The whole generated AlexNet on two 227x227 images, against the reference loops layer by layer.</summary>
[Collection(AcceleratorCollection.Name)]
public class AlexNetForwardTests(AcceleratorFixture fixture)
{
    [Theory, InlineData(AcceleratorFixture.Kernels), InlineData(AcceleratorFixture.Cpu)]
    public void ForwardPassOfTwoImagesEqualsReferenceLoops(string device)
    {
        const int batch = 2;
        using var net = new AlexNet(fixture[device], seed: 7);
        using var pass = net.CreateForwardPass(batch);
        var images = Numbers.Uniform(batch * 3 * 227 * 227, 3);
        var probabilities = pass.Run(images);

        float[] Check(string name, float[] expected)
        {
            Numbers.AssertClose(expected, pass.Read(name), name, relative: 1e-3, absolute: 1e-5);
            return pass.Read(name); // continue from the kernel's own output, so each layer is judged alone
        }
        float[] W(Layer l) => l.Weight.Read();
        float[] B(Layer l) => l.Bias.Read();

        var x = Check("conv1", Reference.Relu(Reference.Conv(images, batch, new(3, 227, 227), W(net.Conv1), B(net.Conv1), 96, 11, 4, 0, 1, new(96, 55, 55))));
        x = Check("conv1.lrn", Reference.Lrn(x, batch, new(96, 55, 55), 5, 1e-4, 0.75, 2, columns: 2));
        x = Check("conv1.maxpool", Reference.MaxPool(x, batch, new(96, 55, 55), 3, 2, 0, new(96, 27, 27)));
        x = Check("conv2", Reference.Relu(Reference.Conv(x, batch, new(96, 27, 27), W(net.Conv2), B(net.Conv2), 256, 5, 1, 2, 2, new(256, 27, 27))));
        x = Check("conv2.lrn", Reference.Lrn(x, batch, new(256, 27, 27), 5, 1e-4, 0.75, 2, columns: 2));
        x = Check("conv2.maxpool", Reference.MaxPool(x, batch, new(256, 27, 27), 3, 2, 0, new(256, 13, 13)));
        x = Check("conv3", Reference.Relu(Reference.Conv(x, batch, new(256, 13, 13), W(net.Conv3), B(net.Conv3), 384, 3, 1, 1, 1, new(384, 13, 13))));
        x = Check("conv4", Reference.Relu(Reference.Conv(x, batch, new(384, 13, 13), W(net.Conv4), B(net.Conv4), 384, 3, 1, 1, 2, new(384, 13, 13))));
        x = Check("conv5", Reference.Relu(Reference.Conv(x, batch, new(384, 13, 13), W(net.Conv5), B(net.Conv5), 256, 3, 1, 1, 2, new(256, 13, 13))));
        x = Check("conv5.maxpool", Reference.MaxPool(x, batch, new(256, 13, 13), 3, 2, 0, new(256, 6, 6)));
        x = Check("fc6", Reference.Relu(Reference.Dense(x, batch, 9216, W(net.Fc6), B(net.Fc6), 4096)));
        x = Check("fc7", Reference.Relu(Reference.Dense(x, batch, 4096, W(net.Fc7), B(net.Fc7), 4096)));
        x = Check("fc8", Reference.Dense(x, batch, 4096, W(net.Fc8), B(net.Fc8), 1000));
        Check("fc8.softmax", Reference.Softmax(x, batch));

        Assert.Equal(batch * 1000, probabilities.Length);
        for (int n = 0; n < batch; n++)
        {
            var row = probabilities.Skip(n * 1000).Take(1000).ToArray();
            Assert.All(row, p => Assert.True(float.IsFinite(p) && p > 0f));
            Assert.Equal(1.0, row.Sum(p => (double)p), 4);
        }
    }

    [Theory, InlineData(AcceleratorFixture.Kernels), InlineData(AcceleratorFixture.Cpu)]
    public void InitialisationFollowsThePaperAndIsReproducible(string device)
    {
        using var a = new AlexNet(fixture[device], seed: 1);
        using var b = new AlexNet(fixture[device], seed: 1);
        var weights = a.Fc6.Weight.Read();
        Assert.Equal(weights, b.Fc6.Weight.Read());
        double mean = weights.Average(w => (double)w);
        double std = System.Math.Sqrt(weights.Average(w => ((double)w - mean) * ((double)w - mean)));
        Assert.InRange(mean, -1e-4, 1e-4);
        Assert.InRange(std, 0.0099, 0.0101);
        // Biases: 1 in conv2, conv4, conv5, fc6 and fc7; 0 in conv1, conv3 and fc8.
        foreach (var (layer, bias) in new[] { (a.Conv1, 0f), (a.Conv2, 1f), (a.Conv3, 0f), (a.Conv4, 1f), (a.Conv5, 1f), (a.Fc6, 1f), (a.Fc7, 1f), (a.Fc8, 0f) })
            Assert.All(layer.Bias.Read(), v => Assert.Equal(bias, v));
        using var c = new AlexNet(fixture[device], seed: 2);
        Assert.NotEqual(weights.Take(100), c.Fc6.Weight.Read().Take(100));
    }
}
