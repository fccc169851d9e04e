import { expect, type Locator, type Page } from '@playwright/test';

/** The studio's class picker (components/studio/class-picker.tsx): Anything or a class, and the guidance slider. */
export class ClassPicker {
  readonly root: Locator;
  readonly options: Locator;
  readonly guidance: Locator;
  /** The model card's list of the classes it knows. */
  readonly modelClasses: Locator;

  constructor(readonly page: Page) {
    this.root = page.getByTestId('class-picker');
    this.options = page.getByTestId('class-option');
    this.guidance = page.getByTestId('guidance-input');
    this.modelClasses = page.getByTestId('model-classes');
  }

  /** "Anything" for undefined, else the class with this id. */
  option(classId?: number): Locator {
    return this.page.locator(`[data-testid="class-option"][data-class-id="${classId ?? ''}"]`);
  }

  async pick(classId?: number) {
    await this.option(classId).click();
    await expect(this.option(classId)).toHaveAttribute('aria-checked', 'true');
  }

  /** Sets the slider as a drag would: a new value and an `input` event, which React's onChange hears. */
  async setGuidance(value: number) {
    await this.guidance.evaluate((el, v) => {
      const input = el as HTMLInputElement;
      // React tracks the value it last set: go through the native setter so the change is seen.
      Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')!.set!.call(input, String(v));
      input.dispatchEvent(new Event('input', { bubbles: true }));
    }, value);
    await expect(this.guidance).toHaveValue(String(value));
  }
}
