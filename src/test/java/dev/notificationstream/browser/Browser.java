package dev.notificationstream.browser;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.WindowType;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * A real headless Chromium (Debian's chromium and chromium-driver) signed in to the inbox as a
 * demo user, a fresh one for each test: {@code @RegisterExtension final Browser browser = new
 * Browser();}. Without Chromium the browser tests are skipped on a developer's machine, but fail
 * when the CI environment variable is set: CI must never pass by skipping them.
 */
final class Browser implements BeforeEachCallback, AfterEachCallback {

    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");

    ChromeDriver driver;

    /** A fresh browser profile for each test: its own sessionStorage, locks and credentials. */
    @Override
    public void beforeEach(ExtensionContext context) {
        boolean installed = Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER);
        String why = "the browser tests need " + CHROMIUM + " and " + CHROMEDRIVER
                + " (apt-get install chromium chromium-driver; .ci/run installs them)";
        if (System.getenv("CI") != null) {
            assertTrue(installed, why);
        } else {
            assumeTrue(installed, why);
        }
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--window-size=1000,900");
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile()).build();
        driver = new ChromeDriver(service, options);
        driver.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(20)); // not the default 300 s
    }

    /**
     * Opens the inbox as {@code user} (the demo password). The credentials ride in the URL of the
     * first navigation: Chromium answers the BASIC challenge with them and caches them for the
     * origin, so the page's own fetch() calls and every other tab of this browser are signed in too.
     */
    Browser openInbox(String baseUrl, String user) {
        URI base = URI.create(baseUrl);
        driver.get(base.getScheme() + "://" + user + ":" + user + "-password@" + base.getAuthority() + "/");
        return this;
    }

    /** A second tab of the same browser on the inbox; the driver now works in it. */
    String openTab(String baseUrl) {
        driver.switchTo().newWindow(WindowType.TAB);
        driver.get(baseUrl + "/");
        return driver.getWindowHandle();
    }

    void switchTo(String tab) {
        driver.switchTo().window(tab);
    }

    /** The status the page shows: live, polling, reconnecting, offline or connecting. */
    String state() {
        return driver.findElement(By.id("status")).getDomAttribute("data-state");
    }

    String statusText() {
        return driver.findElement(By.id("status-text")).getText();
    }

    /** The titles on the page, top (newest) first. */
    List<String> titles() {
        return driver.findElements(By.cssSelector("#inbox .title")).stream().map(WebElement::getText).toList();
    }

    Object script(String script, Object... args) {
        return ((JavascriptExecutor) driver).executeScript(script, args);
    }

    <T> T await(Duration timeout, String what, Function<WebDriver, T> condition) {
        return new WebDriverWait(driver, timeout, Duration.ofMillis(50)).withMessage(what).until(condition);
    }

    @Override
    public void afterEach(ExtensionContext context) {
        if (driver != null) {
            driver.quit();
            driver = null;
        }
    }
}
